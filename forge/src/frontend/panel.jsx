// The issue panel: every KR the issue serves, with health, score, current → target, progress, trend and its page.
import React from 'react';
import ForgeReconciler, { Stack, Text } from '@forge/react';
import { KeyResult, Loading, Problem, Unlinked, useView } from './components';

function Panel() {
  const view = useView('panel');
  if (view === null) {
    return <Loading />;
  }
  if (view.state !== 'linked') {
    return view.state === 'unlinked' ? <Unlinked message={view.message} /> : <Problem message={view.message} />;
  }
  return (
    <Stack space="space.200">
      {view.keyResults.map((kr, index) => (
        <KeyResult key={kr.id || index} kr={kr} />
      ))}
      {view.asOf ? <Text color="color.text.subtlest">OKR Sync, {view.asOf}</Text> : null}
    </Stack>
  );
}

ForgeReconciler.render(
  <React.StrictMode>
    <Panel />
  </React.StrictMode>,
);
