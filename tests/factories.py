"""Small helpers that arrange data through the models (call inside an app context)."""
from app.extensions import db
from app.models import Category, Client, Executor, StaffUser, Subcategory
from app.services.requests import lifecycle as request_service
def client(account="100001", full_name="Иванов Иван Иванович", **fields) -> Client:
    values = dict(city="Самара", street="ул. Ленина", house="5", house_letter="А",
                  apartment="12", phone="+79123456789", contract_number="Д-1")
    values.update(fields)
    obj = Client(account=account, full_name=full_name, **values)
    db.session.add(obj)
    db.session.commit()
    return obj


def category(name="Сантехника", subcategories=("Протечка", "Засор")) -> Category:
    obj = Category(name=name)
    db.session.add(obj)
    db.session.flush()
    for sub in subcategories:
        db.session.add(Subcategory(category_id=obj.id, name=sub))
    db.session.commit()
    return obj


def executor(full_name="Петров Пётр", position="Сантехник") -> Executor:
    obj = Executor(full_name=full_name, position=position)
    db.session.add(obj)
    db.session.commit()
    return obj


def request(client_obj=None, category_obj=None, description="Течёт кран", **kwargs):
    client_obj = client_obj or Client.query.first() or client()
    category_obj = category_obj or Category.query.first() or category()
    sub = category_obj.subcategories[0] if category_obj.subcategories else None
    obj = request_service.create_request(
        client=client_obj, category=category_obj, subcategory=sub,
        description=description, contact_phone=client_obj.phone, **kwargs,
    )
    db.session.commit()
    return obj


def staff(login) -> StaffUser:
    return StaffUser.query.filter_by(login=login).one()
