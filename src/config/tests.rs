use super::*;

#[test]
fn the_low_stock_threshold_defaults_to_five_and_is_checked() {
    let mut settings = Settings::default();
    assert_eq!(settings.catalog.low_stock_threshold, 5);
    assert!(settings.validate().is_ok());
    settings.catalog.low_stock_threshold = -1;
    assert_eq!(
        settings.validate().map_err(|(key, _)| key),
        Err("catalog.low_stock_threshold")
    );
}
