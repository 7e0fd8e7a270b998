import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';

/**
 * Why a triggered campaign was offered, suppressed or held back for its control group: the
 * decision's explanation, one per campaign. Declared once as a schema: the brain's type, and
 * the admin API's `Explanation` (the dry-run explain and the customer card's last decision).
 */
export const ExplanationSchema = Type.Object(
  {
    campaign: Type.String(),
    verdict: Type.Union([Type.Literal('offered'), Type.Literal('suppressed'), Type.Literal('control')], {
      description: 'control: the customer is in the control group; the offer was recorded, not made',
    }),
    reason: Type.Optional(Type.String({ description: 'why it was suppressed: a stable reason code, detail after a colon (docs/admin-api.md)' })),
    group: Type.Optional(Type.String({ description: 'the target group the customer was taken as' })),
    channel: Type.Optional(Type.String()),
    offer: Type.Optional(Type.String({ description: 'the offer, once a candidate got as far as a channel slot' })),
    probability: Type.Optional(
      Type.Number({ description: "the response probability used: the group's prior moved by the responses seen, blended with the offer's model by the model's evidence" }),
    ),
    model: Type.Optional(
      Type.Object({ probability: Type.Number(), weight: Type.Number() }, { description: "the offer's model: its own probability and the weight it had in the blend" }),
    ),
    score: Type.Optional(Type.Number({ description: 'expected value: probability x context weight x value x levers' })),
    draw: Type.Optional(Type.Number({ description: 'the Thompson draw the ranking used in place of the probability' })),
    run: Type.Optional(Type.String({ description: 'the outbound run the decision was made for (docs/outbound.md)' })),
    arm: Type.Optional(
      Type.Union([Type.Literal('model'), Type.Literal('random')], { description: "random: this decision was in the random control arm that measures the models' lift" }),
    ),
  },
  { $id: 'Explanation', description: "one triggered campaign's verdict", additionalProperties: true },
);

export type Explanation = Static<typeof ExplanationSchema>;
