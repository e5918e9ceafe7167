import { describe, expect, it } from 'vitest';
import type { BotMessage, TranscriptEntry } from '../../client';
import { readConfig, WidgetConfigError } from '../../widget/config';
import { createTranscript } from '../../widget/transcript';

const text = (value: string): BotMessage => ({ type: 'text', text: value });
const entry = (seq: number, from: TranscriptEntry['from'], message: BotMessage): TranscriptEntry => ({
  seq,
  from,
  at: '2026-11-21T16:58:31.348Z',
  message,
});
const shown = (transcript: ReturnType<typeof createTranscript>) =>
  transcript.lines.map(
    (line) => `${line.seq ?? '-'} ${line.from} ${'text' in line.message ? line.message.text : line.message.type}`,
  );

describe("the web chat's transcript", () => {
  it("shows a turn's answer once when the stream brings it after the POST answered, giving each line its seq", () => {
    const transcript = createTranscript();
    transcript.addReply([text('Hi!')], 0);
    expect(transcript.addEntry(entry(1, 'bot', text('Hi!')))).toMatchObject({ added: [], sequenced: [{ seq: 1 }] });
    const { mark } = transcript.addVisitor('where is my order 12345?');
    transcript.addReply([text('Let me look that up.'), text('Order 12345 is shipped.')], mark);
    transcript.addEntry(entry(3, 'bot', text('Let me look that up.')));
    transcript.addEntry(entry(4, 'bot', text('Order 12345 is shipped.')));
    expect(shown(transcript)).toEqual([
      '1 bot Hi!',
      '- visitor where is my order 12345?',
      '3 bot Let me look that up.',
      '4 bot Order 12345 is shipped.',
    ]);
    expect(transcript.lastSeq).toBe(4);
  });

  it("shows a turn's answer once when the stream brought it before the POST answered", () => {
    const transcript = createTranscript();
    const { mark } = transcript.addVisitor('12345');
    transcript.addEntry(entry(2, 'bot', text('Let me look that up.')));
    transcript.addEntry(entry(3, 'bot', text('Order 12345 is shipped.')));
    expect(transcript.addReply([text('Let me look that up.'), text('Order 12345 is shipped.')], mark).added).toEqual(
      [],
    );
    expect(shown(transcript)).toEqual([
      '- visitor 12345',
      '2 bot Let me look that up.',
      '3 bot Order 12345 is shipped.',
    ]);
  });

  it('never claims for a new turn what the bot said before the visitor spoke, even in the same words', () => {
    const transcript = createTranscript();
    transcript.addEntry(entry(1, 'bot', text('What is your order number?')));
    const { mark } = transcript.addVisitor('track another order');
    expect(transcript.addReply([text('What is your order number?')], mark).added).toHaveLength(1);
    transcript.addEntry(entry(3, 'bot', text('What is your order number?')));
    expect(shown(transcript)).toEqual([
      '1 bot What is your order number?',
      '- visitor track another order',
      '3 bot What is your order number?',
    ]);
  });

  it('ignores what it already has (a stream that resumes, a transcript read twice) and shows agents and other tabs', () => {
    const transcript = createTranscript();
    const lines = [
      entry(1, 'bot', text('Hi!')),
      entry(2, 'visitor', text('hello')),
      entry(3, 'agent', text('Sam here')),
    ];
    for (const line of lines) transcript.addEntry(line);
    for (const line of lines) expect(transcript.addEntry(line)).toEqual({ added: [], sequenced: [] });
    expect(shown(transcript)).toEqual(['1 bot Hi!', '2 visitor hello', '3 agent Sam here']);
  });

  it('compares messages by content, whatever order their fields came in', () => {
    const transcript = createTranscript();
    transcript.addReply([{ type: 'buttons', text: 'Pick one', buttons: [{ label: 'A', payload: 'a' }] }], 0);
    const reordered = JSON.parse('{"buttons":[{"payload":"a","label":"A"}],"text":"Pick one","type":"buttons"}');
    expect(transcript.addEntry(entry(1, 'bot', reordered as BotMessage)).sequenced).toHaveLength(1);
    expect(transcript.lines).toHaveLength(1);
  });

  it('starts over empty for a new conversation', () => {
    const transcript = createTranscript();
    transcript.addEntry(entry(7, 'bot', text('Bye')));
    transcript.clear();
    expect(transcript.lines).toEqual([]);
    expect(transcript.lastSeq).toBe(0);
    expect(transcript.addEntry(entry(7, 'bot', text('Bye'))).added).toHaveLength(1);
  });
});

describe("the web chat's data attributes", () => {
  const script = 'https://chat.example.com/widget.js';
  const isColor = (value: string) => /^#[0-9a-f]{3,8}$/i.test(value) || value === 'teal';

  it('needs the chatbot and its publishable key, and talks to the origin widget.js came from by default', () => {
    expect(readConfig({ chatbot: 'acme', key: 'pk_1' }, script, isColor)).toEqual({
      chatbotId: 'acme',
      publishableKey: 'pk_1',
      apiOrigin: 'https://chat.example.com',
      title: 'Chat',
      color: '#1f6feb',
      textColor: '#ffffff',
      position: 'right',
      leadForm: null,
      openOnLoad: false,
      persist: 'session',
    });
    expect(() => readConfig({ key: 'pk_1' }, script, isColor)).toThrow('data-chatbot is required');
    expect(() => readConfig({ chatbot: 'acme' }, script, isColor)).toThrow('data-key is required');
  });

  it('reads the API origin, title, colours, corner, lead form, opening and persistence', () => {
    const config = readConfig(
      {
        chatbot: 'acme',
        key: 'pk_1',
        api: 'http://localhost:3000/ignored/path',
        title: 'Acme help',
        color: 'teal',
        textColor: '#fff',
        position: 'left',
        leadForm: 'email, name',
        open: '',
        persist: 'local',
      },
      null,
      isColor,
    );
    expect(config).toMatchObject({
      apiOrigin: 'http://localhost:3000',
      title: 'Acme help',
      color: 'teal',
      textColor: '#fff',
      position: 'left',
      leadForm: ['name', 'email'],
      openOnLoad: true,
      persist: 'local',
    });
    expect(readConfig({ chatbot: 'a', key: 'k', leadForm: 'true' }, script, isColor).leadForm).toEqual([
      'name',
      'email',
      'phone',
    ]);
  });

  it('refuses what it cannot use, naming the attribute', () => {
    const refusal = (data: Record<string, string>) => {
      try {
        readConfig({ chatbot: 'acme', key: 'pk_1', ...data }, script, isColor);
      } catch (error) {
        expect(error).toBeInstanceOf(WidgetConfigError);
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refusal({ color: 'red;background:url(x)' })).toBe('data-color="red;background:url(x)" is not a CSS colour');
    expect(refusal({ api: 'javascript:alert(1)' })).toMatch(/^data-api must be the origin/);
    expect(refusal({ leadForm: 'name,age' })).toMatch(/^data-lead-form: unknown field age/);
    expect(refusal({ leadForm: 'name,message' })).toBe(
      'data-lead-form needs email or phone: a lead is reached by one of them',
    );
    expect(refusal({ position: 'top' })).toBe('data-position must be right or left');
    expect(refusal({ persist: 'cookie' })).toBe('data-persist must be session, local or none');
    expect(() => readConfig({ chatbot: 'acme', key: 'pk_1' }, null, isColor)).toThrow(/data-api/);
  });
});
