"""A new password ends every other session of its user, «Запомнить меня» cookies included
(StaffUser.get_id carries a token that set_password renews; app.web.load_user checks it)."""
NEW_PASSWORD = "brand-new-pass-1"


def user_form(user, **changes) -> dict:
    return {"login": user.login, "full_name": user.full_name, "role": user.role, "active": "y",
            "password": NEW_PASSWORD, "password2": NEW_PASSWORD, **changes}


def test_a_password_set_by_an_administrator_ends_every_session_of_the_user(admin, staff_client, ctx):
    desk = staff_client("operator")
    home = staff_client("operator", remember=True)
    home.close()
    assert desk.is_signed_in() and home.is_signed_in()  # the remember-me cookie alone signs in
    home.close()
    user = ctx.staff("operator")
    assert admin.post(f"/admin/users/{user.id}", user_form(user)).status_code == 302
    assert not desk.is_signed_in()
    assert not home.is_signed_in()
    assert admin.is_signed_in()  # nobody else is affected
    assert staff_client("operator", NEW_PASSWORD).is_signed_in()


def test_other_changes_by_an_administrator_keep_the_sessions(admin, staff_client, ctx):
    desk = staff_client("operator")
    user = ctx.staff("operator")
    form = user_form(user, full_name="Олег Петрович", password="", password2="")
    assert admin.post(f"/admin/users/{user.id}", form).status_code == 302
    assert desk.is_signed_in()


def test_an_administrator_setting_their_own_password_stays_signed_in_only_here(admin, staff_client, ctx):
    elsewhere = staff_client("admin")
    me = ctx.staff("admin")
    assert admin.post(f"/admin/users/{me.id}", user_form(me)).status_code == 302
    assert admin.is_signed_in()
    assert not elsewhere.is_signed_in()
