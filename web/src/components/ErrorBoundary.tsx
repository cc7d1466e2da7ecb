import { Component, type ReactNode } from 'react';

interface Props {
  children: ReactNode;
}

interface State {
  failed: boolean;
}

/** Catches render errors and shows a short message instead of a stack trace. */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { failed: false };

  static getDerivedStateFromError(): State {
    return { failed: true };
  }

  override render() {
    if (this.state.failed) {
      return (
        <div className="error-message" role="alert">
          Something went wrong while displaying this page. Please reload.
        </div>
      );
    }
    return this.props.children;
  }
}
