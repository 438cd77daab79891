/** leaderElection.*, backup.* and rolling.*: timings that must be ordered to make sense. */
import { BACKUP_DEFAULTS, LEADER_ELECTION_DEFAULTS, ROLLING_DEFAULTS } from "./defaults";
import { BACKUP_INTERVAL_MINUTES } from "./limits";
import type { Section } from "./reader";
import { SECTION_KEYS } from "./schema";
import type { BackupConfig, LeaderElectionConfig, RollingConfig } from "./types";

/**
 * One master's roll: below 5 minutes no replacement can boot and join; above 3 hours a stuck
 * roll holds `pulumi up` (and the stack lock) far longer than any healthy one needs.
 */
const ROLL_TIMEOUT_MINUTES = { min: 5, max: 180 } as const;
/** A snapshot older than a day is not a safety net for a roll. */
const ROLL_BACKUP_MAX_AGE_MINUTES_MAX = 24 * 60;

/**
 * kube-scheduler and kube-controller-manager refuse lease <= renewDeadline, and a retry
 * period not below the renew deadline could never renew in time.
 */
export function readLeaderElection(root: Section): LeaderElectionConfig {
  const le = root.section("leaderElection", SECTION_KEYS.leaderElection);
  const d = LEADER_ELECTION_DEFAULTS;
  const retryPeriodSeconds = le.number("retryPeriodSeconds", d.retryPeriodSeconds);
  const renewDeadlineSeconds = le.number("renewDeadlineSeconds", d.renewDeadlineSeconds);
  const leaseDurationSeconds = le.number("leaseDurationSeconds", d.leaseDurationSeconds);
  if (retryPeriodSeconds <= 0) le.reject("retryPeriodSeconds", "more than 0 seconds");
  if (renewDeadlineSeconds <= retryPeriodSeconds) {
    le.reject(
      "renewDeadlineSeconds",
      `more than retryPeriodSeconds (${retryPeriodSeconds}); lease > renewDeadline > retryPeriod > 0`,
    );
  }
  if (leaseDurationSeconds <= renewDeadlineSeconds) {
    le.reject(
      "leaseDurationSeconds",
      `more than renewDeadlineSeconds (${renewDeadlineSeconds}); lease > renewDeadline > retryPeriod > 0`,
    );
  }
  return { leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds };
}

/** S3 lifecycle rules work in whole days, and each tier must keep at least as long as the finer one. */
export function readBackup(root: Section): BackupConfig {
  const b = root.section("backup", SECTION_KEYS.backup);
  const d = BACKUP_DEFAULTS;
  const intervalMinutes = b.number("intervalMinutes", d.intervalMinutes);
  if (intervalMinutes < BACKUP_INTERVAL_MINUTES.min || intervalMinutes > BACKUP_INTERVAL_MINUTES.max) {
    b.reject("intervalMinutes", `${BACKUP_INTERVAL_MINUTES.min}-${BACKUP_INTERVAL_MINUTES.max} minutes`);
  }
  const keepAllDays = b.number("keepAllDays", d.keepAllDays);
  const keepHourlyDays = b.number("keepHourlyDays", d.keepHourlyDays);
  const keepDailyDays = b.number("keepDailyDays", d.keepDailyDays);
  if (keepAllDays < 1) b.reject("keepAllDays", "1 day or more (S3 lifecycle granularity is one day)");
  if (keepHourlyDays < Math.max(1, keepAllDays)) {
    b.reject(
      "keepHourlyDays",
      `at least keepAllDays (${keepAllDays}) and 1; keepAllDays <= keepHourlyDays <= keepDailyDays`,
    );
  }
  if (keepDailyDays < Math.max(1, keepHourlyDays)) {
    b.reject(
      "keepDailyDays",
      `at least keepHourlyDays (${keepHourlyDays}) and 1; keepAllDays <= keepHourlyDays <= keepDailyDays`,
    );
  }
  return { intervalMinutes, keepAllDays, keepHourlyDays, keepDailyDays };
}

/**
 * The snapshot age a roll accepts must be at least one backup interval (a younger snapshot
 * cannot be counted on between two timer runs) and at most a day.
 */
export function readRolling(root: Section, backup: BackupConfig): RollingConfig {
  const r = root.section("rolling", SECTION_KEYS.rolling);
  const d = ROLLING_DEFAULTS;
  const enabled = r.boolean("enabled", d.enabled);
  const timeoutMinutes = r.number("timeoutMinutes", d.timeoutMinutes);
  if (timeoutMinutes < ROLL_TIMEOUT_MINUTES.min || timeoutMinutes > ROLL_TIMEOUT_MINUTES.max) {
    r.reject("timeoutMinutes", `${ROLL_TIMEOUT_MINUTES.min}-${ROLL_TIMEOUT_MINUTES.max} minutes per master`);
  }
  const interval = backup.intervalMinutes;
  const backupMaxAgeMinutes = r.number("backupMaxAgeMinutes", d.backupMaxAgeIntervals * interval);
  if (backupMaxAgeMinutes < interval || backupMaxAgeMinutes > ROLL_BACKUP_MAX_AGE_MINUTES_MAX) {
    r.reject(
      "backupMaxAgeMinutes",
      `${interval}-${ROLL_BACKUP_MAX_AGE_MINUTES_MAX} minutes: at least backup.intervalMinutes (${interval}), at most a day`,
    );
  }
  return { enabled, timeoutMinutes, backupMaxAgeMinutes };
}
