"""Moderation of a city's comments: filtered by target and status, a page at a time, bulk actions."""
import re

import pytest
from sqlalchemy import func, select

from survey_app.extensions import db


@pytest.fixture
def many_comments(app, counted_campaign):
    """120 more pending comments on the first target, 5 on the second."""
    import secrets
    from survey_app.models import Campaign, Comment
    with app.app_context():
        campaign = db.session.get(Campaign, counted_campaign)
        first, second = campaign.targets[0], campaign.targets[1]
        group = campaign.group("public")
        for i in range(125):
            db.session.add(Comment(id=secrets.token_hex(16), campaign_id=campaign.id, group_id=group.id,
                                   target_id=(first if i < 120 else second).id, item_code="x",
                                   text=f"bulk comment {i}", status="pending"))
        db.session.commit()
        return counted_campaign, first.id, second.id


def ids_on(html):
    return re.findall(r'name="comment" value="([^"]+)"', html)


def test_filtered_by_target_and_paged(app, login, many_comments):
    cid, first, second = many_comments
    staff = login("staff")
    html = staff.get(f"/reports/{cid}/comments?status=pending&target={second}").get_data(as_text=True)
    assert len(ids_on(html)) == 5 and "bulk comment 120" in html and "bulk comment 3<" not in html
    page1 = staff.get(f"/reports/{cid}/comments?status=pending&target={first}").get_data(as_text=True)
    page3 = staff.get(f"/reports/{cid}/comments?status=pending&target={first}&page=3").get_data(as_text=True)
    assert len(ids_on(page1)) == 50 and 0 < len(ids_on(page3)) <= 50
    assert not set(ids_on(page1)) & set(ids_on(page3))
    assert "Page 1 of 3" in page1
    # a page past the end shows the last one, a bad target shows the default queue: never a 500
    assert staff.get(f"/reports/{cid}/comments?target={first}&page=999").status_code == 200
    assert staff.get(f"/reports/{cid}/comments?target=nonsense&page=-4").status_code == 200


def test_bulk_publish_and_hide(app, login, many_comments):
    from survey_app.models import Comment
    cid, first, second = many_comments
    staff = login("staff")
    html = staff.get(f"/reports/{cid}/comments?status=pending&target={second}").get_data(as_text=True)
    chosen = ids_on(html)[:3]
    r = staff.post(f"/reports/{cid}/comments/bulk?status=pending&target={second}",
                   data={"status": "published", "comment": chosen})
    assert r.status_code == 302 and f"target={second}" in r.headers["Location"]
    with app.app_context():
        statuses = dict(db.session.execute(select(Comment.id, Comment.status).where(Comment.id.in_(chosen))).all())
        assert set(statuses.values()) == {"published"} and len(statuses) == 3
        pending = db.session.execute(select(func.count()).select_from(Comment).where(
            Comment.target_id == second, Comment.status == "pending")).scalar_one()
    assert pending == 2
    r = staff.post(f"/reports/{cid}/comments/bulk", data={"status": "hidden", "comment": chosen[:1]})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Comment, chosen[0]).status == "hidden"


def test_bulk_refuses_bad_input_and_other_campaigns(app, login, many_comments, make_campaign):
    from survey_app.models import Comment
    cid, first, second = many_comments
    staff = login("staff")
    with app.app_context():
        some = db.session.execute(select(Comment.id).where(Comment.target_id == second)).scalars().first()
    assert staff.post(f"/reports/{cid}/comments/bulk", data={"status": "deleted", "comment": [some]}).status_code == 400
    other = make_campaign(code="other", status="closed")
    staff.post(f"/reports/{other}/comments/bulk", data={"status": "published", "comment": [some]})
    with app.app_context():
        assert db.session.get(Comment, some).status == "pending"
    auditor = app.test_client()
    auditor.post("/login", data={"username": "auditor", "password": "test-password-123"})
    assert auditor.post(f"/reports/{cid}/comments/bulk", data={"status": "published",
                                                              "comment": [some]}).status_code == 403
