import { expect } from 'chai';
import fc from 'fast-check';
import type { StatusCause } from '../../src/devcluster/api/types.ts';
import { pruneAndValidate } from '../../src/devcluster/crd/structural.ts';

/** A cut-down Restore schema: the shapes that matter (nested objects, lists of objects, enums, preserve-unknown). */
const schema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['backupName'],
      properties: {
        backupName: { type: 'string', minLength: 1, maxLength: 10 },
        includedNamespaces: { type: 'array', items: { type: 'string' }, maxItems: 2 },
        restorePVs: { type: 'boolean', nullable: true },
        itemOperationTimeout: { type: 'string', default: '4h' },
        replicas: { type: 'integer', minimum: 0, maximum: 5 },
        ratio: { type: 'number', minimum: 0, exclusiveMinimum: true },
        port: { 'x-kubernetes-int-or-string': true },
        name: { type: 'string', pattern: '^[a-z]+$' },
        at: { type: 'string', format: 'date-time' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        embedded: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          properties: { spec: { type: 'object' } },
        },
        hooks: {
          type: 'object',
          properties: {
            resources: {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                required: ['name'],
                properties: {
                  name: { type: 'string' },
                  onError: { type: 'string', enum: ['Continue', 'Fail'], default: 'Fail' },
                },
              },
            },
          },
        },
      },
    },
    status: {
      type: 'object',
      properties: { phase: { type: 'string', enum: ['New', 'InProgress', 'Completed'] } },
    },
  },
};

const restore = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'velero.io/v1',
  kind: 'Restore',
  metadata: { name: 'r', namespace: 'velero', anything: { kept: true } },
  spec: { backupName: 'b', ...spec },
  ...extra,
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- terse reads of pruned test objects
type Loose = any;
const c = (field: string, reason: string, message: string): StatusCause => ({ field, reason, message });

describe('devcluster structural schemas', () => {
  describe('pruning and defaulting', () => {
    const cases: Array<[string, unknown, (o: Loose) => unknown, unknown]> = [
      ['unknown spec fields are pruned', restore({ bogus: 1 }), (o) => 'bogus' in o.spec, false],
      ['unknown root fields are pruned', restore({}, { extra: 1 }), (o) => 'extra' in o, false],
      [
        'apiVersion, kind and metadata are kept',
        restore({}),
        (o) => [o.apiVersion, o.kind, o.metadata.anything],
        ['velero.io/v1', 'Restore', { kept: true }],
      ],
      ['defaults apply to absent fields', restore({}), (o) => o.spec.itemOperationTimeout, '4h'],
      [
        'defaults do not override values',
        restore({ itemOperationTimeout: '1h' }),
        (o) => o.spec.itemOperationTimeout,
        '1h',
      ],
      [
        'defaults apply inside list items',
        restore({ hooks: { resources: [{ name: 'h' }] } }),
        (o) => o.spec.hooks.resources[0],
        { name: 'h', onError: 'Fail' },
      ],
      [
        'null of a non-nullable field is defaulted',
        restore({ itemOperationTimeout: null }),
        (o) => o.spec.itemOperationTimeout,
        '4h',
      ],
      [
        'null of a non-nullable field without default is dropped',
        restore({ replicas: null }),
        (o) => 'replicas' in o.spec,
        false,
      ],
      ['null of a nullable field is kept', restore({ restorePVs: null }), (o) => o.spec.restorePVs, null],
      [
        'preserve-unknown-fields keeps everything below',
        restore({ raw: { a: { b: [1] } } }),
        (o) => o.spec.raw,
        { a: { b: [1] } },
      ],
      [
        'embedded resources keep apiVersion/kind/metadata and prune the rest',
        restore({ embedded: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {}, other: 1 } }),
        (o) => o.spec.embedded,
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} },
      ],
      [
        'additionalProperties values are kept',
        restore({ labels: { a: 'b' } }),
        (o) => o.spec.labels,
        { a: 'b' },
      ],
      [
        'status fields are pruned too',
        restore({}, { status: { phase: 'New', junk: 1 } }),
        (o) => o.status,
        { phase: 'New' },
      ],
    ];
    for (const [name, input, pick, want] of cases) {
      it(name, () => {
        const before = structuredClone(input);
        const { object } = pruneAndValidate(schema, input);
        expect(pick(object)).to.deep.equal(want);
        expect(input).to.deep.equal(before);
      });
    }
  });

  describe('validation', () => {
    const cases: Array<[string, unknown, StatusCause[]]> = [
      [
        'a valid restore',
        restore({
          hooks: { resources: [{ name: 'h', onError: 'Continue' }] },
          port: 'http',
          at: '2024-01-02T03:04:05Z',
        }),
        [],
      ],
      [
        'enum',
        restore({}, { status: { phase: 'Done' } }),
        [
          c(
            'status.phase',
            'FieldValueNotSupported',
            'Unsupported value: "Done": supported values: "New", "InProgress", "Completed"',
          ),
        ],
      ],
      [
        'enum inside list items',
        restore({ hooks: { resources: [{ name: 'h', onError: 'Maybe' }] } }),
        [
          c(
            'spec.hooks.resources[0].onError',
            'FieldValueNotSupported',
            'Unsupported value: "Maybe": supported values: "Continue", "Fail"',
          ),
        ],
      ],
      [
        'required',
        restore({ hooks: { resources: [{}] } }),
        [c('spec.hooks.resources[0].name', 'FieldValueRequired', 'Required value')],
      ],
      [
        'required at the top of spec',
        { ...restore({}), spec: {} },
        [c('spec.backupName', 'FieldValueRequired', 'Required value')],
      ],
      [
        'type',
        restore({ replicas: 'three' }),
        [
          c(
            'spec.replicas',
            'FieldValueTypeInvalid',
            'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
          ),
        ],
      ],
      [
        'integer vs number',
        restore({ replicas: 1.5 }),
        [
          c(
            'spec.replicas',
            'FieldValueTypeInvalid',
            'Invalid value: "number": spec.replicas in body must be of type integer: "number"',
          ),
        ],
      ],
      [
        'object expected',
        restore({ hooks: [] }),
        [
          c(
            'spec.hooks',
            'FieldValueTypeInvalid',
            'Invalid value: "array": spec.hooks in body must be of type object: "array"',
          ),
        ],
      ],
      [
        'null list items are type errors',
        restore({ includedNamespaces: ['a', null] }),
        [
          c(
            'spec.includedNamespaces[1]',
            'FieldValueTypeInvalid',
            'Invalid value: "null": spec.includedNamespaces[1] in body must be of type string: "null"',
          ),
        ],
      ],
      [
        'maxItems',
        restore({ includedNamespaces: ['a', 'b', 'c'] }),
        [c('spec.includedNamespaces', 'FieldValueTooMany', 'Too many: 3: must have at most 2 items')],
      ],
      [
        'minItems',
        restore({ hooks: { resources: [] } }),
        [
          c(
            'spec.hooks.resources',
            'FieldValueInvalid',
            'Invalid value: 0: spec.hooks.resources in body should have at least 1 items',
          ),
        ],
      ],
      [
        'maxLength',
        restore({ backupName: 'x'.repeat(11) }),
        [c('spec.backupName', 'FieldValueTooLong', 'Too long: may not be more than 10 bytes')],
      ],
      [
        'minLength',
        restore({ backupName: '' }),
        [
          c(
            'spec.backupName',
            'FieldValueInvalid',
            'Invalid value: "": spec.backupName in body should be at least 1 chars long',
          ),
        ],
      ],
      [
        'minimum and maximum',
        restore({ replicas: 6, ratio: 0 }),
        [
          c(
            'spec.replicas',
            'FieldValueInvalid',
            'Invalid value: 6: spec.replicas in body should be less than or equal to 5',
          ),
          c(
            'spec.ratio',
            'FieldValueInvalid',
            'Invalid value: 0: spec.ratio in body should be greater than 0',
          ),
        ],
      ],
      [
        'pattern',
        restore({ name: 'ABC' }),
        [
          c(
            'spec.name',
            'FieldValueInvalid',
            'Invalid value: "ABC": spec.name in body should match \'^[a-z]+$\'',
          ),
        ],
      ],
      [
        'date-time format',
        restore({ at: 'yesterday' }),
        [
          c(
            'spec.at',
            'FieldValueTypeInvalid',
            'Invalid value: "yesterday": spec.at in body must be of type date-time: "yesterday"',
          ),
        ],
      ],
      [
        'int-or-string',
        restore({ port: true }),
        [
          c(
            'spec.port',
            'FieldValueTypeInvalid',
            'Invalid value: "boolean": spec.port in body must be of type integer-or-string: "boolean"',
          ),
        ],
      ],
      [
        'additionalProperties types',
        restore({ labels: { a: 1 } }),
        [
          c(
            'spec.labels.a',
            'FieldValueTypeInvalid',
            'Invalid value: "integer": spec.labels.a in body must be of type string: "integer"',
          ),
        ],
      ],
    ];
    for (const [name, input, want] of cases) {
      it(name, () => expect(pruneAndValidate(schema, input).causes).to.deep.equal(want));
    }
  });

  describe('properties', () => {
    const schemaArb = fc.letrec<{ schema: unknown }>((tie) => ({
      schema: fc.oneof(
        { depthSize: 'small' },
        fc.record(
          {
            type: fc.constantFrom('object', 'array', 'string', 'integer', 'number', 'boolean', 'bogus'),
            properties: fc.dictionary(fc.string(), tie('schema'), { maxKeys: 3 }),
            items: tie('schema'),
            additionalProperties: fc.oneof(fc.boolean(), tie('schema')),
            required: fc.array(fc.oneof(fc.string(), fc.integer())),
            enum: fc.array(fc.jsonValue(), { maxLength: 3 }),
            nullable: fc.boolean(),
            default: fc.jsonValue(),
            pattern: fc.constantFrom('^a', '[', '(?<x>a)', '\\-'),
            minimum: fc.integer(),
            maxItems: fc.nat(3),
            format: fc.constantFrom('date-time', 'date', 'email'),
            'x-kubernetes-preserve-unknown-fields': fc.boolean(),
            'x-kubernetes-int-or-string': fc.boolean(),
            'x-kubernetes-embedded-resource': fc.boolean(),
          },
          { requiredKeys: [] },
        ),
        fc.anything(),
      ),
    })).schema;
    it('never throws and never mutates, whatever the schema and object', () => {
      fc.assert(
        fc.property(schemaArb, fc.anything(), (s, o) => {
          const [s0, o0] = [structuredClone(s), structuredClone(o)];
          const { causes } = pruneAndValidate(s, o);
          expect(causes).to.be.an('array');
          expect([s, o]).to.deep.equal([s0, o0]);
        }),
        { numRuns: 300 },
      );
    });
    it('pruning is idempotent', () => {
      fc.assert(
        fc.property(schemaArb, fc.jsonValue(), (s, o) => {
          const once = pruneAndValidate(s, o).object;
          expect(pruneAndValidate(s, once).object).to.deep.equal(once);
        }),
        { numRuns: 300 },
      );
    });
  });
});
