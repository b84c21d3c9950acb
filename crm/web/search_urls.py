"""Page URLs of this part of the web app (included from crm/urls.py)."""

from django.urls import path

from crm.web import search, tasks

urlpatterns: list = [
    path("search/", search.search, name="search"),
    path("tasks/", tasks.task_list, name="tasks"),
    path("tasks/<uuid:task_id>/complete/", tasks.task_complete_view, name="task-complete"),
    path("tasks/<uuid:task_id>/reopen/", tasks.task_reopen_view, name="task-reopen"),
]
