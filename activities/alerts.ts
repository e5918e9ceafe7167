import type { Alerts, AlertSettings, FailureAlert } from '../infrastructure/alerts';

/** The failure-alert activity: delivery and its hourly throttle live in infrastructure/alerts.ts. */
export function createAlertActivities({ alerts }: { alerts: Alerts }) {
  return {
    /** Emails and/or posts a failure alert, at most once per hour per action. */
    async sendFailureAlert(input: { alert: FailureAlert; settings: AlertSettings }) {
      return alerts.sendFailureAlert(input.alert, input.settings);
    },
  };
}
