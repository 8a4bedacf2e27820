"""The research export's data dictionary."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Column(BaseModel):
    name: str
    type: str
    description: str
    values: list[str] | None = None


class DictionaryQuestion(BaseModel):
    id: str
    theme: str
    text_da: str


class DataDictionary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "format": "text/csv; charset=utf-8, comma-separated, header row",
                    "unit": "one row per answer",
                    "columns": [
                        {
                            "name": "value",
                            "type": "integer or empty",
                            "description": "1–5; empty for “ved ikke / ikke relevant”.",
                            "values": ["1", "2", "3", "4", "5", ""],
                        }
                    ],
                    "questions": [
                        {
                            "id": "core-01",
                            "theme": "core",
                            "text_da": "Lederen sætter en tydelig retning for arbejdet.",
                        }
                    ],
                    "notes": ["Lokale spørgsmål indgår ikke."],
                }
            ]
        }
    )

    format: str
    unit: str
    columns: list[Column]
    questions: list[DictionaryQuestion]
    notes: list[str]
