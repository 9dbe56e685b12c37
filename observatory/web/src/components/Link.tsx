import type { AnchorHTMLAttributes, MouseEvent, ReactNode } from 'react';
import { navigate, useHref } from '../lib/router.js';

interface LinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
  /** A path with an optional query; the global time range and refresh are carried over. */
  to: string;
  children: ReactNode;
}

/** An in-app link: a real <a href> (so it can open in a new tab) that navigates without reloading. */
export function Link({ to, children, onClick, ...rest }: LinkProps) {
  const target = useHref(to);
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(target, { carry: false });
  };
  return (
    <a href={target} onClick={handle} {...rest}>
      {children}
    </a>
  );
}
