"""The API reference: a public page, Swagger UI served from our own files, under our CSP."""

import re

from scripts import vendor_assets


def test_the_docs_page_and_its_assets_load_without_a_sign_in(client):
    page = client.get("/api/v1/docs")

    assert page.status_code == 200
    assert 'data-spec-url="/api/v1/openapi.json"' in page.text
    assert "<script>" not in page.text  # no inline script: the CSP would block it
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe" not in csp
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert {
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
        "/static/js/api-docs.js",
    } <= set(assets)
    for path in assets:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.data, path
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)  # nothing from elsewhere


def test_the_spec_is_openapi_3_1(client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert spec.json["openapi"] == "3.1.0"
    assert "/api/v1/clients" in spec.json["paths"]
    assert spec.json["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_vendored_swagger_ui_is_the_pinned_one():
    asset = vendor_assets.SWAGGER_UI
    version, _digest = vendor_assets.read_version_file(asset.directory)
    assert version == vendor_assets.SWAGGER_UI_VERSION
    assert version.startswith("5.")
    assert vendor_assets.check(asset.directory, asset.script), "a file differs from VERSION"
    assert set(vendor_assets.recorded_digests(asset.directory)) == {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
    }
    assert "Apache License" in (asset.directory / "LICENSE").read_text(encoding="utf-8")
    assert (asset.directory / "NOTICE").is_file()


def test_the_script_reads_the_spec_url_from_the_page(client):
    script = client.get("/static/js/api-docs.js").text
    assert "dataset.specUrl" in script
    assert "SwaggerUIBundle" in script
