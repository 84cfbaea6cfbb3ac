import { expect } from 'chai';
import { SeenOnce } from '../../src/controller/seen-once.ts';

describe('SeenOnce', () => {
  it('is true only the first time a key is seen', () => {
    const seen = new SeenOnce();
    expect([seen.first('a'), seen.first('a'), seen.first('b'), seen.first('a')]).to.deep.equal([
      true,
      false,
      true,
      false,
    ]);
  });

  it('sees a key again after forget', () => {
    const seen = new SeenOnce();
    seen.first('a');
    seen.forget('a');
    expect(seen.first('a')).to.equal(true);
  });

  it('starts over past its limit, so memory stays bounded', () => {
    const seen = new SeenOnce(2);
    seen.first('a');
    seen.first('b');
    expect(seen.first('c')).to.equal(true);
    expect(seen.first('a')).to.equal(true);
  });
});
