import { expect } from 'chai';
import fc from 'fast-check';
import {
  annotationsSize,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateLabelValue,
  validateQualifiedName,
} from '../../src/kube/name-rules.ts';

const LABEL_REGEX_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_REGEX_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QNAME_REGEX_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

describe('Kubernetes name rules (apimachinery)', () => {
  describe('validateDNS1123Label', () => {
    const cases: Array<[string, string[]]> = [
      ['restore-hook', []],
      ['a', []],
      ['0abc', []],
      ['a'.repeat(63), []],
      ['a'.repeat(64), ['must be no more than 63 characters']],
      ['Upper', [LABEL_REGEX_MSG]],
      ['-lead', [LABEL_REGEX_MSG]],
      ['trail-', [LABEL_REGEX_MSG]],
      ['dot.ted', [LABEL_REGEX_MSG]],
      ['', [LABEL_REGEX_MSG]],
      ['under_score', [LABEL_REGEX_MSG]],
    ];
    for (const [value, want] of cases) {
      it(`${JSON.stringify(value.length > 20 ? `${value.slice(0, 10)}…(${value.length})` : value)}`, () => {
        expect(validateDNS1123Label(value)).to.deep.equal(want);
      });
    }
  });

  describe('validateDNS1123Subdomain', () => {
    const cases: Array<[string, string[]]> = [
      ['example.com', []],
      ['p1', []],
      ['a.b-c.d', []],
      [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`, []],
      ['a'.repeat(254), ['must be no more than 253 characters']],
      ['Foo', [SUBDOMAIN_REGEX_MSG]],
      ['a..b', [SUBDOMAIN_REGEX_MSG]],
      ['.a', [SUBDOMAIN_REGEX_MSG]],
      ['a_b', [SUBDOMAIN_REGEX_MSG]],
    ];
    for (const [value, want] of cases) {
      it(`${JSON.stringify(value.length > 20 ? `${value.slice(0, 10)}…(${value.length})` : value)}`, () => {
        expect(validateDNS1123Subdomain(value)).to.deep.equal(want);
      });
    }
  });

  describe('validateQualifiedName', () => {
    const cases: Array<[string, string[]]> = [
      ['app', []],
      ['app.kubernetes.io/name', []],
      ['My_Name.1', []],
      ['/name', ['prefix part must be non-empty']],
      ['example.com/', ['name part must be non-empty', `name part ${QNAME_REGEX_MSG}`]],
      ['Example.com/x', [`prefix part ${SUBDOMAIN_REGEX_MSG}`]],
      ['a'.repeat(64), ['name part must be no more than 63 characters']],
      ['-x', [`name part ${QNAME_REGEX_MSG}`]],
      [
        'a/b/c',
        [
          `a qualified name ${QNAME_REGEX_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
        ],
      ],
    ];
    for (const [value, want] of cases) {
      it(JSON.stringify(value.length > 20 ? `${value.slice(0, 10)}…(${value.length})` : value), () => {
        expect(validateQualifiedName(value)).to.deep.equal(want);
      });
    }
  });

  describe('validateLabelValue', () => {
    const MSG =
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    const cases: Array<[string, string[]]> = [
      ['', []],
      ['v1.2_3-x', []],
      ['a'.repeat(64), ['must be no more than 63 characters']],
      ['bad value', [MSG]],
      ['_x', [MSG]],
    ];
    for (const [value, want] of cases) {
      it(JSON.stringify(value.length > 20 ? `${value.slice(0, 10)}…(${value.length})` : value), () => {
        expect(validateLabelValue(value)).to.deep.equal(want);
      });
    }
  });

  it('annotationsSize counts keys and values in bytes', () => {
    expect(annotationsSize({ ab: 'cd', é: '' })).to.equal(6);
  });

  it('a DNS-1123 label is always a DNS-1123 subdomain', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        if (validateDNS1123Label(s).length === 0) expect(validateDNS1123Subdomain(s)).to.deep.equal([]);
      }),
    );
  });
});
