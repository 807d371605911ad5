from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """?page=N, 50 a page by default, ?page_size= up to 500. A page past the end is a 404 that
    says so."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
