/** parse-prometheus-text-format ships no types: what the metrics tests read of its output. */
declare module 'parse-prometheus-text-format' {
  namespace parsePrometheusTextFormat {
    interface MetricFamily {
      name: string;
      help?: string;
      type: string;
      metrics: Array<{ value?: string; labels?: Record<string, string>; count?: string; sum?: string; buckets?: Record<string, string> }>;
    }
  }
  /** The families of a Prometheus text exposition, in order. */
  function parsePrometheusTextFormat(text: string): parsePrometheusTextFormat.MetricFamily[];
  export = parsePrometheusTextFormat;
}
