"""The demo's prompts in the registry: an MT-Bench-style pairwise judge (for a campaign's
``evaluation.judges``) and a review classifier for ``labelworks generate`` on the sentiment
demo. Prompt files as a user would write them."""

from __future__ import annotations

PAIRWISE_JUDGE = """\
description: Which of two answers to the same question is better (MT-Bench style)
variables:
  prompt: the question both models answered
  response_a: the answer shown first
  response_b: the answer shown second
parameters: {temperature: 0, max_tokens: 400}
template: |
  Please act as an impartial judge and evaluate the two responses to the question below.
  Consider helpfulness, relevance, accuracy, depth and level of detail. Do not let the
  order in which they are shown, their length or the names of assistants influence you.
  Explain briefly, then give your verdict strictly as [[A]] if the first is better, [[B]]
  if the second is better, or [[C]] for a tie.

  [Question]
  {{ prompt }}

  [The Start of Assistant A's Answer]
  {{ response_a }}
  [The End of Assistant A's Answer]

  [The Start of Assistant B's Answer]
  {{ response_b }}
  [The End of Assistant B's Answer]
"""

REVIEW_SENTIMENT = """\
description: The sentiment of a product review, as one word
variables:
  text: the review
parameters: {temperature: 0, max_tokens: 5}
template: |
  Classify the sentiment of this product review as positive, negative or neutral.
  Reply with the one word only.

  Review: {{ text }}
"""

PROMPTS: dict[str, str] = {
    "pairwise-judge": PAIRWISE_JUDGE,
    "review-sentiment": REVIEW_SENTIMENT,
}
