import type { ContainerInspect } from './swap/clone/create-options.js';
import type { ContainerReport } from '../domain/report.js';
import type { CheckedContainer } from './detect/check.js';
import type { ContainerSettings } from './detect/container-settings.js';

/** What the engine knows about one watched container while it works. */
export interface Subject {
  readonly checked: CheckedContainer;
  readonly inspect: ContainerInspect;
  readonly wasRunning: boolean;
  report: ContainerReport;
}

export const SAME_IMAGE: ContainerSettings = {
  noPull: true,
  stopSignal: undefined,
  stopTimeoutSeconds: undefined,
  strategy: 'recreate',
};

export function updated(
  subject: Subject,
  status: ContainerReport['status'],
  reason: string,
  extra: Partial<ContainerReport> = {},
): void {
  subject.report = { ...subject.report, status, reason, ...extra };
}
