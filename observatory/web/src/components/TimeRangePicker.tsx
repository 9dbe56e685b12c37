import { useState } from 'react';
import { formatClock } from '../lib/format.js';
import {
  fromDateTimeLocal,
  type RefreshKey,
  type RelativeRangeKey,
  refreshIntervals,
  relativeRanges,
  toDateTimeLocal,
} from '../lib/time.js';
import { useTime } from '../lib/timeContext.js';

const rangeKeys = Object.keys(relativeRanges) as RelativeRangeKey[];
const refreshKeys = Object.keys(refreshIntervals) as RefreshKey[];

/** Last 15m / 1h / 6h / 24h or a custom window, plus auto-refresh; all kept in the URL. */
export function TimeRangePicker() {
  const { range, refresh, window, setRange, setRefresh, refreshNow } = useTime();
  const [custom, setCustom] = useState<{ from: string; to: string } | null>(null);

  const openCustom = () =>
    setCustom({ from: toDateTimeLocal(window.startMs), to: toDateTimeLocal(window.endMs) });
  const applyCustom = () => {
    if (!custom) return;
    const startMs = fromDateTimeLocal(custom.from);
    const endMs = fromDateTimeLocal(custom.to);
    if (startMs !== undefined && endMs !== undefined && endMs > startMs) {
      setRange({ kind: 'absolute', startMs, endMs });
      setCustom(null);
    }
  };

  return (
    <div className="timebar">
      <fieldset className="segmented" aria-label="Time range">
        {rangeKeys.map((key) => (
          <button
            key={key}
            type="button"
            className={range.kind === 'relative' && range.key === key ? 'active' : ''}
            onClick={() => setRange({ kind: 'relative', key, durationMs: relativeRanges[key] })}
          >
            {key}
          </button>
        ))}
        <button
          type="button"
          className={range.kind === 'absolute' ? 'active' : ''}
          onClick={custom ? () => setCustom(null) : openCustom}
          title={
            range.kind === 'absolute'
              ? `${formatClock(range.startMs, true)} → ${formatClock(range.endMs, true)}`
              : 'Choose a fixed window'
          }
        >
          {range.kind === 'absolute' ? shortWindow(range.startMs, range.endMs) : 'custom'}
        </button>
      </fieldset>
      {custom ? (
        <form
          className="custom-range"
          onSubmit={(e) => {
            e.preventDefault();
            applyCustom();
          }}
        >
          <input
            type="datetime-local"
            aria-label="From"
            value={custom.from}
            onChange={(e) => setCustom({ ...custom, from: e.target.value })}
          />
          <span className="muted">→</span>
          <input
            type="datetime-local"
            aria-label="To"
            value={custom.to}
            onChange={(e) => setCustom({ ...custom, to: e.target.value })}
          />
          <button type="submit" className="btn btn-small btn-primary">
            Apply
          </button>
        </form>
      ) : null}
      <label className="refresh-select">
        <span className="muted">Auto-refresh</span>
        <select
          value={refresh}
          onChange={(e) => setRefresh(e.target.value as RefreshKey)}
          aria-label="Auto-refresh"
        >
          {refreshKeys.map((key) => (
            <option key={key} value={key}>
              {key}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        className="btn btn-icon"
        onClick={refreshNow}
        title="Refresh now"
        aria-label="Refresh now"
      >
        ↻
      </button>
    </div>
  );
}

function shortWindow(startMs: number, endMs: number): string {
  const a = formatClock(startMs).slice(0, 5);
  const b = formatClock(endMs).slice(0, 5);
  const sameDay = new Date(startMs).toDateString() === new Date(endMs).toDateString();
  return sameDay ? `${a}–${b}` : `${new Date(startMs).toLocaleDateString()} ${a} → …`;
}
