import { type PullRequest, type PullResult, PullService, type PullServiceOptions } from '@eddy/consume';
import type { TrafficMeter } from './traffic-meter.js';

/**
 * The broker's one {@link PullService}, counting what it hands out, so that pulls made by in-process
 * push consumers (which take the service itself) show in the metrics like the broker's own pulls.
 */
export class MeteredPullService extends PullService {
  readonly #meter: TrafficMeter;

  constructor(options: PullServiceOptions & { readonly meter: TrafficMeter }) {
    super(options);
    this.#meter = options.meter;
  }

  override async pull(request: PullRequest): Promise<PullResult> {
    const result = await super.pull(request);
    this.#meter.countOut(request.topic, result.messages);
    return result;
  }
}
