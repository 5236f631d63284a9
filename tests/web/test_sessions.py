"""A new password ends every other session of its user, «Запомнить меня» cookies included
(StaffUser.get_id carries a token that set_password renews; app.web.load_user checks it)."""
NEW_PASSWORD = "brand-new-pass-1"


def close_browser(browser) -> None:
    """Drop the session cookie, as closing the browser does: only a remember-me cookie is left."""
    browser.client.delete_cookie(browser.app.config["SESSION_COOKIE_NAME"])


def signed_in(browser) -> bool:
    return browser.get("/").status_code == 200


def user_form(user, **changes) -> dict:
    return {"login": user.login, "full_name": user.full_name, "role": user.role, "active": "y",
            "password": NEW_PASSWORD, "password2": NEW_PASSWORD, **changes}


def test_a_password_set_by_an_administrator_ends_every_session_of_the_user(admin, staff_client, ctx):
    desk = staff_client("operator")
    home = staff_client("operator", remember=True)
    close_browser(home)
    assert signed_in(desk) and signed_in(home)  # the remember-me cookie alone signs in
    close_browser(home)
    user = ctx.staff("operator")
    assert admin.post(f"/admin/users/{user.id}", user_form(user)).status_code == 302
    assert not signed_in(desk)
    assert not signed_in(home)
    assert signed_in(admin)  # nobody else is affected
    assert signed_in(staff_client("operator", NEW_PASSWORD))


def test_other_changes_by_an_administrator_keep_the_sessions(admin, staff_client, ctx):
    desk = staff_client("operator")
    user = ctx.staff("operator")
    form = user_form(user, full_name="Олег Петрович", password="", password2="")
    assert admin.post(f"/admin/users/{user.id}", form).status_code == 302
    assert signed_in(desk)


def test_an_administrator_setting_their_own_password_stays_signed_in_only_here(admin, staff_client, ctx):
    elsewhere = staff_client("admin")
    me = ctx.staff("admin")
    assert admin.post(f"/admin/users/{me.id}", user_form(me)).status_code == 302
    assert signed_in(admin)
    assert not signed_in(elsewhere)
