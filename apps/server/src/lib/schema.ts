import { type TObject, type TProperties, type TSchema, Type } from '@sinclair/typebox';

/** An object schema that rejects unknown fields (every request body and query). */
export const Strict = <T extends TProperties>(props: T, opts: { description?: string } = {}): TObject<T> =>
  Type.Object(props, { additionalProperties: false, ...opts });

/** The error body every 4xx/5xx response carries. */
export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: 'stable machine-readable code, e.g. grid_not_found' }),
    message: Type.String({ description: 'what went wrong, for a person' }),
    details: Type.Optional(Type.Unknown()),
    requestId: Type.String(),
  },
  { $id: 'ErrorResponse', title: 'ErrorResponse' },
);

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** Longitude/latitude query pair with an optional source coordinate system. */
export const LngLatQuery = {
  lng: Type.Number({ minimum: -180, maximum: 180, description: 'longitude' }),
  lat: Type.Number({ minimum: -90, maximum: 90, description: 'latitude' }),
  coordSys: Type.Optional(
    Type.Union([Type.Literal('wgs84'), Type.Literal('gcj02'), Type.Literal('bd09')], {
      description: 'coordinate system of lng/lat (default wgs84); converted to WGS 84',
    }),
  ),
};

/** GeoJSON geometry as accepted on input: validated structurally, then by PostGIS. */
export const GeoJsonGeometry = Type.Object(
  {
    type: Type.Union([
      Type.Literal('Point'),
      Type.Literal('LineString'),
      Type.Literal('Polygon'),
      Type.Literal('MultiPoint'),
      Type.Literal('MultiLineString'),
      Type.Literal('MultiPolygon'),
    ]),
    coordinates: Type.Array(Type.Unknown()),
  },
  { additionalProperties: false },
);

export const IdParam = Strict({ id: Type.Integer({ minimum: 1 }) });

/** A timestamp: Date objects from the database are serialised as ISO 8601 strings. */
export const DateTime = (opts: { description?: string } = {}) =>
  Type.Unsafe<Date | string>({ type: 'string', format: 'date-time', ...opts });

/** One of a fixed list of strings (an enum as a union of literals, so types narrow). */
export const OneOf = <T extends string>(values: readonly T[], opts: { description?: string } = {}) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    opts,
  );

/** A time limit as classes and settings store it (whole units). */
export const TimeLimitSchema = Strict(
  {
    value: Type.Integer({ minimum: 1, maximum: 100_000 }),
    unit: Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')]),
    timeType: Type.Union([Type.Literal('urgent'), Type.Literal('work'), Type.Literal('natural')], {
      description: 'urgent: continuous clock (紧急工作时); work: working hours/days; natural: calendar',
    }),
  },
  { description: 'A time limit (时限): a disposal limit, a phase limit' },
);
