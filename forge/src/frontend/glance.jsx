// The issue glance: its label, the worst health of the KRs and how many there are, then each KR's health.
import React from 'react';
import ForgeReconciler, { Inline, Stack, Text } from '@forge/react';
import { Health, Loading, Problem, Unlinked, useView } from './components';

function Glance() {
  const view = useView('glance');
  if (view === null) {
    return <Loading />;
  }
  if (view.state !== 'linked') {
    return view.state === 'unlinked' ? <Unlinked message={view.message} /> : <Problem message={view.message} />;
  }
  return (
    <Stack space="space.100">
      <Inline space="space.100" alignBlock="center">
        <Text weight="bold">{view.label}</Text>
        <Health {...view.status} />
        <Text>{view.count}</Text>
      </Inline>
      {view.keyResults.map((kr, index) => (
        <Inline key={index} space="space.100" alignBlock="center">
          <Health words={kr.words} appearance={kr.appearance} />
          <Text>{kr.heading}</Text>
        </Inline>
      ))}
    </Stack>
  );
}

ForgeReconciler.render(
  <React.StrictMode>
    <Glance />
  </React.StrictMode>,
);
