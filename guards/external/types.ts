/** What an external guardrail service is asked about, and what the gateway reads from its answer. */
export interface ExternalCheck {
  requestId: string;
  team: string;
  key: string;
  /** The public model name the client asked for. */
  model: string;
  /** The messages in the service's `roles`, as their text. */
  turns: readonly { role: string; text: string }[];
}

export interface ExternalVerdict {
  /** `block` and `flag` are hits; the service's `action` decides what a hit does, except a hook's own `flag`. */
  verdict: 'allow' | 'block' | 'flag';
  /** Categories the service named (moderation categories, hook categories, Presidio entity types); for the audit. */
  categories: string[];
  /** The hook's reason, for the audit entry (never sent to the client). */
  reason?: string;
}

/** A Presidio span over one of the texts it was sent: `text` indexes ExternalCheck.turns; offsets are UTF-16. */
export interface PresidioSpan {
  text: number;
  entityType: string;
  start: number;
  end: number;
  score: number;
}
