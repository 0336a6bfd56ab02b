import { describe, expect, it } from 'vitest';
import type { DraftDto, IpcError } from '../../src/lib/ipc';
import { Composer } from '../../src/lib/state/composer.svelte';
import { ALICE, BOB, failure, fakeIpc, message } from './fake_ipc';

const DRAFT: DraftDto = { account: ALICE, to: 'bob@x', cc: '', bcc: '', subject: 'Hi', text: 'Hello', in_reply_to: null, references: [], attachments: [], with_html: false };

function composer(answers: Record<string, unknown> = {}) {
  const errors: IpcError[] = [];
  const fake = fakeIpc({ compose: DRAFT, saveDraft: 41, sendMessage: { id: 1, message_id: 'x@y' }, ...answers });
  return { fake, errors, composer: new Composer(fake.ipc, (error) => errors.push(error)) };
}

describe('Composer', () => {
  it('opens a new message, or a reply of the open one (none without it)', async () => {
    const { fake, composer: form } = composer();
    await form.start('reply', null, ALICE);
    expect(form.draft).toBeNull();
    expect(fake.calls.compose).toBeUndefined();
    await form.start('reply', message('INBOX', 5, BOB), ALICE);
    expect(fake.calls.compose).toEqual([[BOB, 'reply', 'INBOX', 5]]);
    await form.start('new', null, ALICE);
    expect(fake.calls.compose?.at(-1)).toEqual([ALICE, 'new', null, null]);
    expect(form.draft?.subject).toBe('Hi');
    expect(form.draftId).toBeNull();
  });

  it('opens a mailto: link once; with a form open, when that form closes', async () => {
    const linked = { ...DRAFT, to: 'bob@tern.test', subject: 'From a link' };
    const { fake, composer: form } = composer({ takeMailto: linked });
    await form.fromLink(ALICE);
    expect(fake.calls.takeMailto).toEqual([[ALICE]]);
    expect(form.draft?.subject).toBe('From a link');
    expect(form.draftId).toBeNull();
    // No link waiting: nothing opens.
    fake.answers.takeMailto = null;
    form.close();
    await form.fromLink(ALICE);
    expect(form.draft).toBeNull();
    // A link while a message is being written waits for the form to close.
    await form.start('new', null, ALICE);
    fake.answers.takeMailto = linked;
    const asked = fake.calls.takeMailto?.length;
    await form.fromLink(BOB);
    expect(fake.calls.takeMailto?.length).toBe(asked);
    expect(form.draft?.subject).toBe('Hi');
    expect(await form.send(DRAFT)).toBe(true);
    await Promise.resolve();
    expect(fake.calls.takeMailto?.at(-1)).toEqual([BOB]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(form.draft?.subject).toBe('From a link');
  });

  it('autosaves under one draft id, and shows a failed save in the form', async () => {
    const { fake, composer: form } = composer();
    await form.start('new', null, ALICE);
    await form.save(DRAFT);
    await form.save(DRAFT);
    expect(form.draftId).toBe(41);
    expect(fake.calls.saveDraft).toEqual([[null, DRAFT], [41, DRAFT]]);
    fake.answers.saveDraft = failure('disk full', 'disk_full');
    await form.save(DRAFT);
    expect(form.error?.message).toBe('disk full');
    expect(form.draftId).toBe(41);
  });

  it('sends and closes; a refused send keeps the form open with the reason', async () => {
    const { fake, composer: form } = composer({ sendMessage: failure('No SMTP server', 'other') });
    await form.start('new', null, ALICE);
    expect(await form.send(DRAFT)).toBe(false);
    expect(form.draft).not.toBeNull();
    expect(form.error?.message).toBe('No SMTP server');
    expect(form.sending).toBe(false);
    fake.answers.sendMessage = { id: 1, message_id: 'x@y' };
    expect(await form.send(DRAFT)).toBe(true);
    expect(form.draft).toBeNull();
    expect(form.error).toBeNull();
  });

  it('continues a draft or an unsent message, and discards with its draft', async () => {
    const { fake, composer: form, errors } = composer({
      openDraft: { id: 7, draft: DRAFT },
      editOutgoing: failure('it is being sent', 'other'),
    });
    await form.editDraft(message('Drafts', 3));
    expect(form.draftId).toBe(7);
    await form.discard();
    expect(form.draft).toBeNull();
    expect(fake.calls.discardDraft).toEqual([[ALICE, 7]]);
    await form.editOutgoing(ALICE, 2);
    expect(form.draft).toBeNull();
    expect(errors.map((error) => error.message)).toEqual(['it is being sent']);
  });

  it('closing keeps the draft saved', async () => {
    const { fake, composer: form } = composer();
    await form.start('new', null, ALICE);
    await form.save(DRAFT);
    form.close();
    expect(form.draft).toBeNull();
    expect(fake.calls.discardDraft).toBeUndefined();
  });

  it('writing from another account drops the draft saved under the first', async () => {
    const { fake, composer: form } = composer();
    await form.start('new', null, ALICE);
    await form.save(DRAFT);
    await form.changeAccount();
    expect(fake.calls.discardDraft).toEqual([[ALICE, 41]]);
    expect(form.draftId).toBeNull();
    await form.save({ ...DRAFT, account: BOB });
    await form.discard();
    expect(fake.calls.discardDraft?.at(-1)).toEqual([BOB, 41]);
  });
});
