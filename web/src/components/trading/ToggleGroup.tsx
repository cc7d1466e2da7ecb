import type { ReactNode } from 'react';

export interface ToggleOption<Value extends string | number> {
  value: Value;
  label: ReactNode;
  testId?: string;
  title?: string;
  /** Extra class of this option, e.g. the colour of a side. */
  className?: string;
}

/** A row of mutually exclusive buttons (aria-pressed), labelled as a group. */
export function ToggleGroup<Value extends string | number>({
  label,
  options,
  value,
  onChange,
  className = '',
}: {
  label: string;
  options: ReadonlyArray<ToggleOption<Value>>;
  value: Value;
  onChange: (value: Value) => void;
  className?: string;
}) {
  return (
    <div className={`toggle-group ${className}`.trim()} role="group" aria-label={label}>
      {options.map((option) => (
        <button
          key={option.value}
          type="button"
          className={option.className}
          aria-pressed={option.value === value}
          title={option.title}
          data-testid={option.testId}
          onClick={() => onChange(option.value)}
        >
          {option.label}
        </button>
      ))}
    </div>
  );
}
