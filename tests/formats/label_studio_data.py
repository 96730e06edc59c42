"""A Label Studio labeling config and JSON export as Label Studio writes them, for tests."""

from __future__ import annotations

from typing import Any

CONFIG = """<View>
  <Header value="Review the product"/>
  <Text name="review" value="$text"/>
  <Choices name="sentiment" toName="review" choice="single" required="true">
    <Choice value="positive"/><Choice value="negative"/><Choice value="neutral"/>
  </Choices>
  <Choices name="topics" toName="review" choice="multiple">
    <Choice value="price"/><Choice value="shipping"/>
  </Choices>
  <Labels name="ner" toName="review">
    <Label value="PRODUCT" background="red"/><Label value="BRAND"/>
  </Labels>
  <Image name="photo" value="$image"/>
  <RectangleLabels name="objects" toName="photo">
    <Label value="box"/><Label value="logo"/>
  </RectangleLabels>
  <PolygonLabels name="outline" toName="photo"><Label value="shape"/></PolygonLabels>
  <TextArea name="comment" toName="review"/>
  <Rating name="stars" toName="review" maxRating="10"/>
  <Audio name="clip" value="$audio"/>
  <Labels name="speakers" toName="clip"><Label value="agent"/><Label value="caller"/></Labels>
</View>"""


def result(name: str, to: str, kind: str, value: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """One Label Studio result."""
    return {"from_name": name, "to_name": to, "type": kind, "value": value, **extra}


def box(x: float, y: float, w: float, h: float, label: str) -> dict[str, Any]:
    """A rectangle in percent of an 200 x 100 image."""
    return result(
        "objects",
        "photo",
        "rectanglelabels",
        {"x": x, "y": y, "width": w, "height": h, "rotation": 0, "rectanglelabels": [label]},
        original_width=200,
        original_height=100,
    )


def annotation(email: str | int, results: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A Label Studio annotation by a user object with an email (or only a user id)."""
    by: Any = {"id": 7, "email": email} if isinstance(email, str) else email
    return {
        "id": 1,
        "completed_by": by,
        "created_at": "2024-05-01T10:00:00.000000Z",
        "updated_at": "2024-05-01T10:00:05.000000Z",
        "lead_time": 12.5,
        "was_cancelled": False,
        "result": results,
        **extra,
    }


TEXT = "Acme phone arrived late"
DATA = {"text": TEXT, "image": "https://example.org/1.png", "audio": "https://example.org/1.wav"}


def full_results() -> list[dict[str, Any]]:
    """One result of every kind the translation supports, plus one it leaves out."""
    return [
        result("sentiment", "review", "choices", {"choices": ["negative"]}),
        result("topics", "review", "choices", {"choices": ["shipping", "price"]}),
        result(
            "ner",
            "review",
            "labels",
            {"start": 0, "end": 4, "text": "Acme", "labels": ["BRAND"]},
        ),
        box(10, 20, 50, 40, "logo"),
        result("comment", "review", "textarea", {"text": ["late", "again"]}),
        result("stars", "review", "rating", {"rating": 3}),
        result("clip", "clip", "labels", {"start": 0.5, "end": 2.25, "labels": ["agent"]}),
        result("speakers", "clip", "labels", {"start": 0.5, "end": 2.25, "labels": ["agent"]}),
        result(
            "outline", "photo", "polygonlabels", {"points": [[1, 2]], "polygonlabels": ["shape"]}
        ),
    ]


def export() -> list[dict[str, Any]]:
    """Two tasks: one fully annotated (plus a cancelled annotation and a prediction), one not."""
    full = [r for r in full_results() if r["from_name"] != "clip"]
    return [
        {
            "id": 11,
            "data": DATA,
            "annotations": [
                annotation("ann0@example.com", full),
                annotation("ann1@example.com", [], was_cancelled=True),
            ],
            "predictions": [
                {
                    "model_version": "clf-v1",
                    "score": 0.8,
                    "result": [result("sentiment", "review", "choices", {"choices": ["neutral"]})],
                }
            ],
        },
        {"id": 12, "data": {**DATA, "text": "Fine"}, "annotations": [], "predictions": []},
    ]
