import { type InfluxResponse, influxErrorText } from './influx-http';

/** An InfluxDB answer that is not what was asked for (auth, refused query, HTTP error). */
export class InfluxServerError extends Error {
  constructor(
    readonly code: 'AUTH' | 'FORBIDDEN' | 'QUERY' | 'NOT_FOUND' | 'HTTP',
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'InfluxServerError';
  }
}

export function httpError(response: InfluxResponse, what: string): InfluxServerError {
  const reason = influxErrorText(response);
  if (response.status === 401) {
    return new InfluxServerError('AUTH', `InfluxDB refused the credentials (401): ${reason}`, 401);
  }
  if (response.status === 403) {
    return new InfluxServerError('FORBIDDEN', `InfluxDB does not allow this ${what} for this user (403): ${reason}`, 403);
  }
  return new InfluxServerError('HTTP', `InfluxDB ${what} failed with ${response.status}: ${reason}`, response.status);
}
