"""App-wide web behaviour (app/web.py) that no single page owns."""


def test_every_answer_varies_on_hx_request(admin, client):
    """Pages and their htmx fragments share URLs: a cache (the browser's Back) must keep them apart."""
    answers = [
        admin.get("/admin/clients"),
        admin.get("/admin/clients", headers={"HX-Request": "true"}),
        admin.get("/admin/clients/999999"),  # an error page
        client.get("/login"),
        client.get("/admin/clients"),  # the login wall's redirect
    ]
    assert [response.status_code for response in answers] == [200, 200, 404, 200, 302]
    for response in answers:
        assert "HX-Request" in response.vary, response.request.path
