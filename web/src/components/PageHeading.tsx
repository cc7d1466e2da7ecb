import { useEffect } from 'react';

/** Page title + one-line description; also sets the document title. */
export function PageHeading({ title, description }: { title: string; description: string }) {
  useEffect(() => {
    document.title = `${title} · GoDark`;
  }, [title]);

  return (
    <div className="page-heading">
      <h1 tabIndex={-1}>{title}</h1>
      <p className="lead">{description}</p>
    </div>
  );
}
