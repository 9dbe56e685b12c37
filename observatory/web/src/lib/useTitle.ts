import { useEffect } from 'react';

/** Sets the document title ("Traces · Glassbox observatory") while the page is shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Glassbox observatory` : 'Glassbox observatory';
  }, [title]);
}
