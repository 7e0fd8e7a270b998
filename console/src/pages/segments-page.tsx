import { useEffect, useState } from 'react';
import type { Schemas } from '../api/client';
import { problemText } from '../api/client';
import { Link } from '../components/link';
import { NotAllowed } from '../components/not-allowed';
import { ProblemAlert } from '../components/problem-alert';
import { useTexts } from '../i18n/texts';
import type { Rule } from '../rule';
import { ruleInWords } from '../rule-words';
import { useSession } from '../session-context';

type Segment = Schemas['Segment'];

/**
 * Segments: each with its name, id, live size and rule in words (and how many were put in by
 * hand). The list (`GET /v1/segments`) has no sizes: the table shows as soon as the list is
 * read, then every segment's size from `GET /v1/segment-sizes` in one call (the table's
 * `data-sizes` says when they are in). A key that may save segments gets **Новый сегмент**.
 */
export function SegmentsPage() {
  const t = useTexts();
  const { api, may } = useSession();
  const [rows, setRows] = useState<Segment[] | undefined>();
  const [sizes, setSizes] = useState<ReadonlyMap<string, number>>();
  // why the sizes are not complete yet (the API's `pending`): shown, and the sizes read again every 5 s until they are
  const [pending, setPending] = useState<'sweep' | 'import'>();
  const [error, setError] = useState<string>();
  const allowed = may('listSegments');
  const readsSize = may('listSegmentSizes');

  useEffect(() => {
    if (!allowed) return undefined;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    void (async () => {
      // (both asked at once: the table shows with the list, the sizes fill in)
      const sizesAsked = readsSize ? api.GET('/v1/segment-sizes') : undefined;
      sizesAsked?.catch(() => undefined); // (a failure is shown when awaited below)
      const list = await api.GET('/v1/segments');
      if (list.error !== undefined) throw new Error(problemText(list.error));
      if (!live) return;
      setRows(list.data.items);
      if (sizesAsked === undefined) return;
      const read = await sizesAsked;
      if (read.error !== undefined) throw new Error(problemText(read.error));
      if (!live) return;
      setSizes(new Map(read.data.sizes.map((s) => [s.segment, s.size])));
      setPending(read.data.pending);
      while (read.data.pending !== undefined) {
        await new Promise((resolve) => (timer = setTimeout(resolve, 5000)));
        if (!live) return;
        const again = await api.GET('/v1/segment-sizes');
        if (!live || again.error !== undefined) return;
        setSizes(new Map(again.data.sizes.map((s) => [s.segment, s.size])));
        setPending(again.data.pending);
        if (again.data.pending === undefined) return;
      }
    })().catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, allowed, readsSize]);

  if (!allowed) return <NotAllowed title={t.segmentsTitle} />;
  return (
    <section aria-labelledby="segments-title" data-state={rows === undefined && error === undefined ? 'loading' : 'ready'}>
      <h1 id="segments-title">{t.segmentsTitle}</h1>
      <p className="muted">{t.segmentsIntro}</p>
      {may('putSegment') && (
        <p>
          <Link to={{ page: 'segment' }}>{t.newSegment}</Link>
        </p>
      )}
      <ProblemAlert message={error} />
      {pending !== undefined && (
        <p className="notice" role="status" data-pending={pending}>
          {t.sizesPending(pending)}
        </p>
      )}
      {rows === undefined && error === undefined && <p>{t.loading}</p>}
      {rows !== undefined && rows.length === 0 && <p>{t.noSegments}</p>}
      {rows !== undefined && rows.length > 0 && (
        <table className="data" data-sizes={sizes === undefined ? 'loading' : 'ready'}>
          <thead>
            <tr>
              <th scope="col">{t.segmentName}</th>
              <th scope="col">{t.segmentId}</th>
              <th scope="col" className="num">
                {t.liveSize}
              </th>
              <th scope="col">{t.segmentRule}</th>
              <th scope="col" className="num">
                {t.manualCount}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.id} data-segment={s.id}>
                <th scope="row">
                  <Link to={{ page: 'segment', id: s.id ?? '' }}>{s.name}</Link>
                  {s.description !== undefined && <div className="muted">{s.description}</div>}
                </th>
                <td>
                  <code>{s.id}</code>
                </td>
                <td className="num" data-field="size">
                  {sizes?.get(s.id ?? '') ?? '…'}
                </td>
                <td data-field="rule">{s.rule === undefined ? <span className="muted">{t.onlyMembers(s.members?.length ?? 0)}</span> : ruleInWords(t, s.rule as Rule)}</td>
                <td className="num">{s.members?.length ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
