import { Type } from '@sinclair/typebox';

/** Adaptive models, propensity, uplift and the funnel, as the admin API reports them. */

const Nullable = <T extends ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()]);

const ArmSchema = Type.Object({ positives: Type.Integer(), negatives: Type.Integer(), rate: Nullable(Type.Number()) });

const Reason = Type.Union([Type.String(), Type.Null()], { description: 'why the figure is null (e.g. "needs 200 answers, has 12"); null when it is shown' });
const Ci95 = Type.Union([Type.Array(Type.Number(), { minItems: 2, maxItems: 2 }), Type.Null()], { description: "95 % interval of the lift (normal approximation of the log ratio): low, high; null with the lift" });
const Arms = Type.Object({ model: ArmSchema, random: ArmSchema }, { description: 'answers to offers ranked by the models and by the random control' });

export const ModelSchema = Type.Object(
  {
    offer: Type.String(),
    examples: Type.Integer({ description: 'answers (and expiries) the model learnt from' }),
    positives: Type.Integer(),
    negatives: Type.Integer(),
    auc: Nullable(Type.Number({ description: 'running AUC (decayed: recent answers weigh most); null until the model has 200 examples and 20 positive and 20 negative answers (policy.learning figureAnswers, figureOutcomes)' })),
    aucReason: Reason,
    last30Days: Type.Object(
      {
        days: Type.Integer({ description: '30' }),
        from: Type.String({ description: 'the first local day counted, YYYY-MM-DD' }),
        to: Type.String({ description: 'today, the last day counted' }),
        examples: Type.Integer({ description: 'answers the model learnt from in those days' }),
        positives: Type.Integer(),
        negatives: Type.Integer(),
        auc: Nullable(Type.Number({ description: 'the AUC of those days\' scored answers; null without 200 answers, 20 positive and 20 negative (figureAnswers, figureOutcomes)' })),
        reason: Reason,
      },
      { description: 'the within-period AUC, beside the running one: the last 30 local days (the daily records)' },
    ),
    arms: Arms,
    lift: Nullable(Type.Number({ description: "the model arm's rate over the random arm's; null until the model has 200 examples and each arm 200 answers, 20 positive and 20 negative (figureAnswers, figureOutcomes)" })),
    liftCi95: Ci95,
    liftReason: Reason,
    campaigns: Type.Array(
      Type.Object({ campaign: Type.String(), arms: Arms, lift: Nullable(Type.Number({ description: "the campaign's model arm's rate over its random arm's, with the same evidence" })), ci95: Ci95, reason: Reason }),
      { description: 'the lift per campaign that offered the offer, by campaign id' },
    ),
    weight: Type.Number({ description: "the model's share in the blend with the target group's probability" }),
    bits: Type.Integer(),
  },
  { $id: 'Model' },
);

const DayArm = Type.Object({ positives: Type.Integer(), negatives: Type.Integer(), rate: Nullable(Type.Number({ description: 'positives / answers that day; null without answers' })) });

export const ModelHistoryReply = Type.Object(
  {
    offer: Type.String(),
    from: Type.Optional(Type.String({ description: 'the first day asked' })),
    to: Type.Optional(Type.String({ description: 'the last day asked' })),
    days: Type.Array(
      Type.Object({
        day: Type.String({ description: "YYYY-MM-DD, a local day in the policy's defaultTimezone" }),
        examples: Type.Integer({ description: 'answers (and expiries) the model learnt from that day' }),
        positives: Type.Integer(),
        negatives: Type.Integer(),
        auc: Nullable(Type.Number({ description: "the AUC of that day's scored outcomes; null without the evidence behind it (aucReason)" })),
        aucReason: Reason,
        runningAuc: Nullable(Type.Number({ description: 'the AUC of the scored outcomes from the first day listed to this one; null without the evidence of those days\' answers (runningAucReason)' })),
        runningAucReason: Reason,
        arms: Type.Object({ model: DayArm, random: DayArm }, { description: 'that day\'s answers to offers ranked by the models and by the random control' }),
        lift: Nullable(Type.Number({ description: "that day's model arm's rate over the random arm's; null without each arm's evidence that day (liftReason)" })),
        liftReason: Reason,
      }),
      { description: 'one entry per day the model learnt something, oldest first' },
    ),
  },
  { $id: 'ModelHistory' },
);

export const ModelsReply = Type.Object(
  {
    learning: Type.Object({
      models: Type.Boolean(),
      modelEvidence: Type.Number(),
      exploration: Type.String({ description: 'thompson or none' }),
      randomPercent: Type.Number(),
      bits: Type.Integer(),
      halfLife: Type.Number({ description: 'answers after which an earlier answer weighs half (0: never forgets)' }),
      belowFloor: Type.Boolean({ description: 'the random arm reaches customers below the propensity floor too' }),
      figureAnswers: Type.Number({ description: "a model's AUC and lift are shown once this many answers are behind them (and the model learnt from as many)" }),
      figureOutcomes: Type.Number({ description: '… with at least this many positive and this many negative' }),
    }),
    models: Type.Array(ModelSchema),
  },
  { $id: 'Models' },
);

const Interval = Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: '95 % interval: low, high (rounded to 6 decimal places, as every figure of the report)' });

const RateSchema = Type.Object({ contacts: Type.Integer(), conversions: Type.Integer(), rate: Nullable(Type.Number()), ci95: Type.Union([Interval, Type.Null()]) });

export const UpliftSchema = Type.Object(
  {
    campaign: Type.String(),
    goal: Type.Union([Type.Object({ events: Type.Array(Type.String()), withinDays: Type.Number() }), Type.Null()]),
    controlPercent: Type.Number(),
    treated: RateSchema,
    control: RateSchema,
    uplift: Type.Union([Type.Object({ difference: Type.Number(), ci95: Interval, relative: Nullable(Type.Number()), significant: Type.Boolean() }), Type.Null()], {
      description: 'null until both groups have contacts; its figures (and the rates) rounded to 6 decimal places; significant: the interval as given excludes 0',
    }),
    responses: Type.Object({ answered: Type.Integer(), accepted: Type.Integer(), acceptanceRate: Nullable(Type.Number()) }),
    note: Type.Optional(Type.String()),
  },
  { $id: 'Uplift' },
);

export const UpliftsReply = Type.Object(
  {
    from: Type.Optional(Type.String({ description: 'the first day counted, when asked' })),
    to: Type.Optional(Type.String({ description: 'the last day counted, when asked' })),
    campaigns: Type.Array(UpliftSchema),
  },
  { $id: 'Uplifts' },
);

export const DayRangeQuery = Type.Object({
  from: Type.Optional(Type.String({ description: "the first day counted, YYYY-MM-DD (a local day in the policy's defaultTimezone); with from or to, only those days are counted" })),
  to: Type.Optional(Type.String({ description: 'the last day counted, YYYY-MM-DD, inclusive' })),
});

export const PropensityReply = Type.Object(
  {
    campaign: Type.String(),
    priorStrength: Type.Number(),
    groups: Type.Array(Type.Object({ group: Type.String(), prior: Type.Number(), positives: Type.Number(), negatives: Type.Number(), probability: Type.Number() })),
  },
  { $id: 'Propensity' },
);

const Counts = Type.Record(Type.String(), Type.Integer());

export const FunnelRowSchema = Type.Object(
  {
    campaign: Type.String(),
    channel: Type.String({ description: '* when summed, - when never reached' }),
    offer: Type.String(),
    group: Type.String(),
    run: Type.String({ description: 'the outbound run ("-" for events\' decisions)' }),
    segment: Type.Optional(Type.String({ description: 'by=segment only: a segment the customer was in after the counted step (each step counted in every one, at most 16 by id)' })),
    triggered: Type.Integer(),
    suppressed: Type.Integer(),
    suppressedBy: Counts,
    cancelled: Type.Integer({ description: 'of suppressed: queued messages cancelled at send time (counted as offered too)' }),
    deferred: Type.Integer({ description: 'decisions that deferred the message to the next window (quiet hours); not suppressed' }),
    resumed: Type.Integer({ description: 'deferrals that came to an end: their retry decided, or superseded by a later one' }),
    waiting: Type.Integer({ description: 'deferred messages still waiting for their retry: deferred - resumed' }),
    control: Type.Integer(),
    offered: Type.Integer(),
    delivered: Type.Integer(),
    failed: Type.Integer(),
    outcomes: Counts,
    converted: Type.Integer(),
    controlConverted: Type.Integer({ description: 'control-group hold-outs whose goal was reached all the same' }),
    answered: Type.Integer(),
    accepted: Type.Integer(),
    declined: Type.Integer(),
    expired: Type.Integer(),
    acceptanceRate: Nullable(Type.Number()),
    conversionRate: Nullable(Type.Number({ description: 'converted / offered' })),
    responseRate: Nullable(Type.Number({ description: 'answered / offered; null before the first offer' })),
    upliftRate: Nullable(Type.Number({ description: 'converted / offered - controlConverted / control; null without offers or without hold-outs' })),
  },
  { $id: 'FunnelRow', description: 'the rates rounded to 6 decimal places (4 in the CSV file)' },
);

const FunnelBudget = Type.Object({
  campaign: Type.String(),
  contacts: Type.Integer({ description: 'contacts made against the budget (since the store began, whatever the range)' }),
  cost: Type.Number({ description: 'their cost at the cost per channel' }),
  maxContacts: Nullable(Type.Number()),
  maxCost: Nullable(Type.Number()),
});

export const FunnelReply = Type.Object(
  {
    by: Type.Array(Type.String()),
    from: Type.Optional(Type.String({ description: 'the first day counted, when asked' })),
    to: Type.Optional(Type.String({ description: 'the last day counted, when asked' })),
    rows: Type.Array(FunnelRowSchema),
    budgets: Type.Array(FunnelBudget, { description: 'the budget of each campaign of the rows that has one: spent against its limits' }),
  },
  { $id: 'Funnel' },
);

export const FunnelQuery = Type.Object({
  campaign: Type.Optional(Type.String({ description: 'one campaign (all by default)' })),
  by: Type.Optional(Type.String({ description: 'dimensions to break down by, comma-separated: channel, offer, group, run (all by default; the campaign always); or segment, alone: per campaign and segment the customer was in' })),
  from: Type.Optional(Type.String({ description: "the first day counted, YYYY-MM-DD (a local day in the policy's defaultTimezone); with from or to, only those days are counted" })),
  to: Type.Optional(Type.String({ description: 'the last day counted, YYYY-MM-DD, inclusive' })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'json (default) or csv (also chosen by Accept: text/csv)' })),
});

export const FunnelCsv = Type.String({ description: 'RFC 4180 CSV: a header row, CRLF; the dimensions, the stages, the rates (acceptance, conversion, response, uplift), suppressed_<reason> and outcome_<outcome> columns' });
