// UI Kit components that draw the views of src/view.js; they hold no logic of their own.
import React, { useEffect, useState } from 'react';
import { Heading, Inline, Link, Lozenge, SectionMessage, Spinner, Stack, Text } from '@forge/react';
import { invoke } from '@forge/bridge';

/** The view the resolver's `name` definition returns; null while it is on its way. */
export function useView(name) {
  const [view, setView] = useState(null);
  useEffect(() => {
    invoke(name)
      .then(setView)
      .catch((error) => {
        const reason = error && error.message ? error.message : String(error);
        setView({ state: 'problem', message: `OKR status could not be loaded (${reason}): reload the issue.` });
      });
  }, [name]);
  return view;
}

export function Loading() {
  return <Spinner label="Loading the OKR status" />;
}

export function Unlinked({ message }) {
  return <Text>{message}</Text>;
}

export function Problem({ message }) {
  return (
    <SectionMessage appearance="warning" title="OKR status unavailable">
      <Text>{message}</Text>
    </SectionMessage>
  );
}

export function Health({ words, appearance }) {
  return <Lozenge appearance={appearance}>{words}</Lozenge>;
}

function Line({ label, children }) {
  return (
    <Inline space="space.050" shouldWrap>
      <Text weight="bold">{label}</Text>
      <Text>{children}</Text>
    </Inline>
  );
}

export function KeyResult({ kr }) {
  return (
    <Stack space="space.050">
      <Inline space="space.100" alignBlock="center" shouldWrap>
        <Heading size="xsmall">{kr.heading}</Heading>
        <Health {...kr.health} />
        {kr.final ? <Lozenge>Final</Lozenge> : null}
      </Inline>
      {kr.context ? <Text color="color.text.subtlest">{kr.context}</Text> : null}
      <Line label="Score">{kr.score}</Line>
      <Line label="Current → target">{kr.values}</Line>
      {kr.progress ? <Line label="Progress">{kr.progress}</Line> : null}
      {kr.trend ? <Line label="Trend">{kr.trend}</Line> : null}
      {kr.note ? <Text color="color.text.subtle">{kr.note}</Text> : null}
      {kr.flags.length > 0 ? (
        <Inline space="space.050" shouldWrap>
          {kr.flags.map((flag) => (
            <Lozenge key={flag}>{flag}</Lozenge>
          ))}
        </Inline>
      ) : null}
      {kr.link ? (
        <Link href={kr.link.url} openNewTab>
          {kr.link.label}
        </Link>
      ) : null}
    </Stack>
  );
}
