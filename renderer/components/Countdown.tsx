import { useEffect, useState } from 'react';
import { secondsUntil } from '../format';

/** Seconds until `at`, ticking once a second (only while mounted, i.e. only for rows waiting to retry). */
export function Countdown({ at }: { at: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [at]);
  return <span className="countdown">{secondsUntil(at, now)}s</span>;
}
