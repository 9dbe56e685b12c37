export {
  type SelfSnapshot,
  SelfStats,
  type SelfStatsSources,
  SIGNALS,
  type Signal,
  type SignalCounts,
} from './self-stats.js';
