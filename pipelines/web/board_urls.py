"""Page URLs of this part of the web app (included from crm/urls.py)."""

from django.urls import path

from pipelines.web import board

urlpatterns = [
    path("pipelines/", board.board_index, name="board_index"),
    path("pipelines/<uuid:pk>/board", board.board, name="board"),
    path("deals/<uuid:pk>/move", board.board_move, name="board_move"),
]
