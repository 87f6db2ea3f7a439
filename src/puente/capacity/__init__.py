"""Capacity and needs assessment: model, questionnaire and scoring."""
