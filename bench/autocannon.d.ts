/** The part of autocannon's API the bench uses (the package ships no types). */
declare module 'autocannon' {
  export interface AcRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    setupRequest?: (req: AcRequest, context: Record<string, unknown>) => AcRequest;
  }

  export interface AcOptions {
    url: string;
    connections?: number;
    pipelining?: number;
    duration?: number;
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    requests?: AcRequest[];
  }

  export interface AcHistogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p99: number;
  }

  export interface AcResult {
    duration: number;
    requests: AcHistogram & { total: number; sent: number };
    latency: AcHistogram;
    throughput: AcHistogram & { total: number };
    errors: number;
    timeouts: number;
    mismatches: number;
    non2xx: number;
    resets: number;
    '1xx': number;
    '2xx': number;
    '3xx': number;
    '4xx': number;
    '5xx': number;
    statusCodeStats?: Record<string, { count: number }>;
  }

  export default function autocannon(opts: AcOptions): Promise<AcResult>;
}
