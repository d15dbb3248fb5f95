import { cpus, loadavg } from 'node:os';

/** The machine a report was measured on. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  /** 1, 5 and 15 minute load averages, read when the run ended. */
  readonly loadAverage: readonly [number, number, number];
  /** The same, read when the run started: the machine may be shared, and the load says how busy it was. */
  readonly loadAverageAtStart?: readonly [number, number, number];
}

/** The 1, 5 and 15 minute load averages now. */
export function loadAverageNow(): [number, number, number] {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return [one, five, fifteen];
}

/** Describes this machine now; `loadAverageAtStart` is what {@link loadAverageNow} said when the run began. */
export function describeMachine(loadAverageAtStart?: readonly [number, number, number]): MachineInfo {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown CPU',
    cores: processors.length,
    node: process.version,
    loadAverage: loadAverageNow(),
    ...(loadAverageAtStart === undefined ? {} : { loadAverageAtStart }),
  };
}
