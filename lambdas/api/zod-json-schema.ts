// A small zod -> JSON Schema (2020-12, as OpenAPI 3.1 uses) converter for the constructs the API's
// schemas use. Written here rather than taken from a library (zod-to-json-schema would do) because
// no new dependency could be added; it throws on anything it does not know, so a schema change that
// it cannot express fails the OpenAPI test instead of producing a wrong document.
import { z, type ZodTypeAny } from 'zod';

export type JsonSchema = Record<string, unknown>;

function withDescription(s: ZodTypeAny, out: JsonSchema): JsonSchema {
  return s.description ? { ...out, description: s.description } : out;
}

export function toJsonSchema(schema: ZodTypeAny): JsonSchema {
  const s = schema;
  if (s instanceof z.ZodOptional) return withDescription(s, toJsonSchema(s.unwrap() as ZodTypeAny));
  if (s instanceof z.ZodLazy) return withDescription(s, toJsonSchema(s.schema as ZodTypeAny));
  if (s instanceof z.ZodNullable) {
    const inner = toJsonSchema(s.unwrap() as ZodTypeAny);
    const { description, ...rest } = inner;
    return withDescription(s, { ...(description ? { description } : {}), anyOf: [rest, { type: 'null' }] });
  }
  if (s instanceof z.ZodString) {
    const out: JsonSchema = { type: 'string' };
    for (const c of s._def.checks) {
      if (c.kind === 'min') out.minLength = c.value;
      else if (c.kind === 'max') out.maxLength = c.value;
      else if (c.kind === 'regex') out.pattern = c.regex.source;
    }
    return withDescription(s, out);
  }
  if (s instanceof z.ZodNumber) {
    const out: JsonSchema = { type: 'number' };
    for (const c of s._def.checks) {
      if (c.kind === 'int') out.type = 'integer';
      else if (c.kind === 'min') out[c.inclusive ? 'minimum' : 'exclusiveMinimum'] = c.value;
      else if (c.kind === 'max') out[c.inclusive ? 'maximum' : 'exclusiveMaximum'] = c.value;
    }
    return withDescription(s, out);
  }
  if (s instanceof z.ZodBoolean) return withDescription(s, { type: 'boolean' });
  if (s instanceof z.ZodUnknown) return withDescription(s, {});
  if (s instanceof z.ZodLiteral) return withDescription(s, { const: s.value });
  if (s instanceof z.ZodEnum) return withDescription(s, { type: 'string', enum: [...(s.options as string[])] });
  if (s instanceof z.ZodUnion) return withDescription(s, { anyOf: (s.options as ZodTypeAny[]).map(toJsonSchema) });
  if (s instanceof z.ZodArray) {
    const out: JsonSchema = { type: 'array', items: toJsonSchema(s.element as ZodTypeAny) };
    if (s._def.minLength) out.minItems = s._def.minLength.value;
    if (s._def.maxLength) out.maxItems = s._def.maxLength.value;
    return withDescription(s, out);
  }
  if (s instanceof z.ZodRecord) return withDescription(s, { type: 'object', additionalProperties: toJsonSchema(s.valueSchema as ZodTypeAny) });
  if (s instanceof z.ZodObject) {
    const shape = s.shape as Record<string, ZodTypeAny>;
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [k, v] of Object.entries(shape)) {
      properties[k] = toJsonSchema(v);
      if (!v.isOptional()) required.push(k);
    }
    const out: JsonSchema = { type: 'object', properties };
    if (required.length > 0) out.required = required;
    if (s._def.unknownKeys === 'strict') out.additionalProperties = false;
    return withDescription(s, out);
  }
  throw new Error(`toJsonSchema: unsupported zod type ${s.constructor.name}`);
}

/** The properties of an object schema as OpenAPI query parameters. */
export function toQueryParameters(schema: z.AnyZodObject): Array<Record<string, unknown>> {
  return Object.entries(schema.shape as Record<string, ZodTypeAny>).map(([name, v]) => {
    const js = toJsonSchema(v);
    const { description, ...rest } = js;
    return { name, in: 'query', required: !v.isOptional(), ...(description ? { description } : {}), schema: rest };
  });
}
