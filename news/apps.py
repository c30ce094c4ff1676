from django.apps import AppConfig


class NewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "news"

    def ready(self) -> None:
        from news.panels import stock_news_panel
        from stocks.panels import register_stock_panel

        register_stock_panel(stock_news_panel)
