"""The scopes each Zoom call needs, as Zoom's spec lists them for a Server-to-Server OAuth app.

x-granular-scopes / x-macro-scopes of each operation, the :admin ones: granular first, then the
classic one where the spec lists it. Error texts name these when Zoom's own message names none.
"""

_S2S_SCOPES = {  # operation: (granular, classic or None)
    "GET /users/{userId}": ("user:read:user:admin", "user:read:admin"),
    "GET /users": ("user:read:list_users:admin", "user:read:admin"),
    "GET /users/{userId}/meetings": ("meeting:read:list_meetings:admin", "meeting:read:admin"),
    "GET /meetings/{meetingId}": ("meeting:read:meeting:admin", "meeting:read:admin"),
    "POST /users/{userId}/meetings": ("meeting:write:meeting:admin", "meeting:write:admin"),
    "PATCH /meetings/{meetingId}": ("meeting:update:meeting:admin", "meeting:write:admin"),
    "DELETE /meetings/{meetingId}": ("meeting:delete:meeting:admin", "meeting:write:admin"),
    "GET /past_meetings/{meetingId}/participants": ("meeting:read:list_past_participants:admin",
                                                    "meeting:read:admin"),
    "GET /users/{userId}/recordings": ("cloud_recording:read:list_user_recordings:admin",
                                       "recording:read:admin"),
    "GET /meetings/{meetingId}/recordings": ("cloud_recording:read:list_recording_files:admin", None),
    "GET /meetings/{meetingId}/meeting_summary": ("meeting:read:summary:admin", "meeting_summary:read:admin"),
    "GET /users/{userId}/webinars": ("webinar:read:list_webinars:admin", "webinar:read:admin"),
    "GET /webinars/{webinarId}": ("webinar:read:webinar:admin", "webinar:read:admin"),
    "GET /report/users/{userId}/meetings": ("report:read:user:admin", "report:read:admin"),
}
S2S_SCOPES = {
    op: f"{granular} (granular)" + (f" or {classic} (classic)" if classic else "")
    for op, (granular, classic) in _S2S_SCOPES.items()
}
