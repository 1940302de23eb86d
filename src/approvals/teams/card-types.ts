// The Adaptive Card JSON Warden builds, as types: only the parts of schema 1.5 that Teams renders and the approval
// cards use (TextBlock, FactSet, Container, ColumnSet, Input.Text, Action.Execute, refresh). Pure types.

/** Text colours (schema `Colors`). */
export type CardColor = 'default' | 'dark' | 'light' | 'accent' | 'good' | 'warning' | 'attention';

export interface TextBlock {
  type: 'TextBlock';
  /** Plain text plus a markdown subset: anything agent-controlled must go through `plainText` first. */
  text: string;
  wrap?: boolean;
  color?: CardColor;
  size?: 'default' | 'small' | 'medium' | 'large' | 'extraLarge';
  weight?: 'default' | 'lighter' | 'bolder';
  isSubtle?: boolean;
  fontType?: 'default' | 'monospace';
  spacing?: 'default' | 'none' | 'small' | 'medium' | 'large' | 'extraLarge' | 'padding';
  separator?: boolean;
  maxLines?: number;
  style?: 'default' | 'heading';
}

export interface Fact {
  title: string;
  value: string;
}

export interface FactSet {
  type: 'FactSet';
  facts: Fact[];
  spacing?: TextBlock['spacing'];
  separator?: boolean;
}

export interface Container {
  type: 'Container';
  items: CardElement[];
  style?: 'default' | 'emphasis' | 'good' | 'attention' | 'warning' | 'accent';
  spacing?: TextBlock['spacing'];
  separator?: boolean;
}

export interface Column {
  type: 'Column';
  items: CardElement[];
  width?: string | number;
}

export interface ColumnSet {
  type: 'ColumnSet';
  columns: Column[];
  spacing?: TextBlock['spacing'];
}

export interface InputText {
  type: 'Input.Text';
  id: string;
  label?: string;
  placeholder?: string;
  isMultiline?: boolean;
  maxLength?: number;
  isRequired?: boolean;
  errorMessage?: string;
  spacing?: TextBlock['spacing'];
  separator?: boolean;
}

export type CardElement = TextBlock | FactSet | Container | ColumnSet | InputText;

/** What a Warden card action carries: nothing but the request and the notification's nonce (see cards.ts). */
export interface CardActionData {
  requestId: string;
  nonce: string;
}

export interface ExecuteAction {
  type: 'Action.Execute';
  verb: string;
  data: CardActionData;
  title?: string;
  style?: 'default' | 'positive' | 'destructive';
  /** `none` on Approve (the comment box is for Reject and Ask), `auto` where the comment is required. */
  associatedInputs?: 'auto' | 'none';
}

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  version: '1.5';
  /** Shown by clients that cannot render the card. */
  fallbackText?: string;
  /** Teams asks the bot for a fresh card for these users (the reviewers): that is how they get the buttons. */
  refresh?: { action: ExecuteAction; userIds: string[] };
  body: CardElement[];
  actions?: ExecuteAction[];
}
