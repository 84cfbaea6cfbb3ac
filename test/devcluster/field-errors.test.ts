import { expect } from 'chai';
import {
  fieldError,
  goLabelSelector,
  goStringMap,
  goStringSlice,
  renderValue,
  root,
} from '../../src/devcluster/builtin/field-errors.ts';

describe('devcluster field errors', () => {
  const rendering: Array<[string, unknown, string]> = [
    ['string', 'a"b', '"a\\"b"'],
    ['integer', 3, '3'],
    ['boolean', false, 'false'],
    ['nil', null, '"null"'],
    ['Go map', goStringMap({ b: '2', a: '1' }), 'map[string]string{"a":"1", "b":"2"}'],
    ['nil Go map', goStringMap(undefined), 'map[string]string(nil)'],
    ['Go slice', goStringSlice(['x', 'y']), '[]string{"x", "y"}'],
    [
      'label selector with expressions',
      goLabelSelector({ matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }] }),
      'v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"k", Operator:"In", Values:[]string{"v"}}}}',
    ],
    ['other structures fall back to sorted JSON', { b: 1, a: [2] }, '{"a":[2],"b":1}'],
  ];
  for (const [name, value, want] of rendering) {
    it(`renders ${name}`, () => expect(renderValue(value)).to.equal(want));
  }

  const causes: Array<[string, ReturnType<typeof fieldError.required>, object]> = [
    [
      'required',
      fieldError.required(root('spec').child('x')),
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.x' },
    ],
    [
      'required with detail',
      fieldError.required(root('metadata').child('name'), 'name or generateName is required'),
      {
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
        field: 'metadata.name',
      },
    ],
    [
      'duplicate',
      fieldError.duplicate(root('a').index(1).child('name'), 'x'),
      { reason: 'FieldValueDuplicate', message: 'Duplicate value: "x"', field: 'a[1].name' },
    ],
    [
      'not found',
      fieldError.notFound(root('v'), 'n'),
      { reason: 'FieldValueNotFound', message: 'Not found: "n"', field: 'v' },
    ],
    [
      'forbidden',
      fieldError.forbidden(root('spec'), 'no'),
      { reason: 'FieldValueForbidden', message: 'Forbidden: no', field: 'spec' },
    ],
    [
      'not supported',
      fieldError.notSupported(root('p'), 'X', ['a', 'b']),
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "X": supported values: "a", "b"',
        field: 'p',
      },
    ],
    [
      'too long',
      fieldError.tooLong(root('d'), 1),
      { reason: 'FieldValueTooLong', message: 'Too long: may not be more than 1 bytes', field: 'd' },
    ],
    [
      'too many',
      fieldError.tooMany(root('l'), 4, 3),
      { reason: 'FieldValueTooMany', message: 'Too many: 4: must have at most 3 items', field: 'l' },
    ],
    [
      'map key path',
      fieldError.invalid(root('data').key('a/b'), 'a/b', 'bad'),
      { reason: 'FieldValueInvalid', message: 'Invalid value: "a/b": bad', field: 'data[a/b]' },
    ],
  ];
  for (const [name, cause, want] of causes) {
    it(`cause: ${name}`, () => expect(cause).to.deep.equal(want));
  }
});
