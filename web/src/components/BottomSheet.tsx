import { useEffect, useRef, type MouseEvent, type ReactNode } from 'react';

/**
 * A modal dialog that rises from the bottom of a phone screen (native <dialog>):
 * focus moves into it, Escape or a tap on the dimmed page closes it, and focus
 * returns to the control that opened it.
 */
export function BottomSheet({
  label,
  onClose,
  children,
  testId,
}: {
  /** The dialog's accessible name; the content shows its own visible heading. */
  label: string;
  onClose: () => void;
  children: ReactNode;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      dialog?.close();
      // Explicit, because the element is removed rather than closed by the user agent.
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  // The dialog element itself is only hit outside the inner panel: on the backdrop.
  const closeOnBackdrop = (event: MouseEvent<HTMLDialogElement>) => {
    if (event.target === event.currentTarget) onClose();
  };

  return (
    <dialog
      ref={ref}
      className="bottom-sheet"
      aria-label={label}
      data-testid={testId}
      onClick={closeOnBackdrop}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <div className="bottom-sheet-panel">
        <div className="bottom-sheet-bar">
          <span className="bottom-sheet-handle" aria-hidden="true" />
          <button type="button" className="btn btn-small btn-ghost" onClick={onClose} data-testid="sheet-close">
            Close
          </button>
        </div>
        {children}
      </div>
    </dialog>
  );
}
