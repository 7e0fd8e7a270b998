import { useTexts } from '../i18n/texts';

/** A refusal or an error, with the API's own message, announced to screen readers. */
export function ProblemAlert({ title, message }: { title?: string; message: string | undefined }) {
  const t = useTexts();
  if (message === undefined) return null;
  return (
    <div className="alert" role="alert">
      <strong>{title ?? t.errorPrefix}:</strong> {message}
    </div>
  );
}
