// One zone's metrics as a CloudWatch embedded-metric-format document, built by Powertools Metrics
// (namespace, units checked against CloudWatch's, dimension, timestamp) instead of by hand.
//
// Powertools adds a "service" dimension to every metric by default; it is cleared, so each metric
// has exactly the dimension set the alarms in lib/ read ({Zone}). The handlers log the document
// with console.log like their other lines (Powertools' publishStoredMetrics writes the same JSON to
// process.stdout); CloudWatch Logs extracts the metrics from it.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_DIMENSION, METRICS_NAMESPACE } from '../core/metric-names.js';

export { MetricUnit };
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** [metric name, unit, value]; a value left undefined is not emitted. */
export type ZoneMetric = readonly [name: string, unit: Unit, value: number | undefined];

/** The EMF document of one zone's metrics at `timestamp` (ms). */
export function zoneMetricsDocument(zone: string, metrics: readonly ZoneMetric[], timestamp = Date.now()): Record<string, unknown> {
  const m = new Metrics({ namespace: METRICS_NAMESPACE });
  m.clearDefaultDimensions();
  m.setDefaultDimensions({ [METRICS_DIMENSION]: zone });
  m.setTimestamp(timestamp);
  for (const [name, unit, value] of metrics) if (value !== undefined) m.addMetric(name, unit, value);
  return m.serializeMetrics() as unknown as Record<string, unknown>;
}
