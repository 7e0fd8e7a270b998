import type { ReactNode } from 'react';
import type { Route } from '../route';
import { hrefOf, navigate } from '../route';

/** A link to one of the console's pages: a real href, followed without reloading. */
export function Link({ to, children, current }: { to: Route; children: ReactNode; current?: boolean }) {
  return (
    <a
      href={hrefOf(to)}
      aria-current={current === true ? 'page' : undefined}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
