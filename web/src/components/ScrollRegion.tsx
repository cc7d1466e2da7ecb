import { useCallback, useEffect, useLayoutEffect, useRef, useState, type ReactNode, type RefObject } from 'react';

/** Whether the element's content is wider or taller than the element, kept up to date on resizes. */
function useOverflows(ref: RefObject<HTMLElement | null>): boolean {
  const [overflows, setOverflows] = useState(false);
  const measure = useCallback(() => {
    const element = ref.current;
    if (element) {
      setOverflows(element.scrollWidth > element.clientWidth || element.scrollHeight > element.clientHeight);
    }
  }, [ref]);
  // After every render: new rows or longer figures can change the content's width.
  useLayoutEffect(measure);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref, measure]);
  return overflows;
}

/**
 * A box that scrolls when its table is wider (or, with a max height, taller) than the card.
 * While it does, it takes focus so keyboard users can scroll it with the arrow keys too
 * (WCAG 2.1.1), and is a named region because a focusable box needs a name; when everything
 * fits it is no extra tab stop.
 */
export function ScrollRegion({
  label,
  children,
  className = 'table-scroll',
}: {
  label: string;
  children: ReactNode;
  className?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const scrolls = useOverflows(ref);
  return (
    <div
      ref={ref}
      className={className}
      role={scrolls ? 'region' : undefined}
      aria-label={scrolls ? label : undefined}
      tabIndex={scrolls ? 0 : undefined}
    >
      {children}
    </div>
  );
}
