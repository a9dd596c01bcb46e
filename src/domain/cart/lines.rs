//! How cart lines change: the rules both backends apply inside their
//! transactions, written once.

use super::{Cart, CartLine, MAX_LINES, MAX_LINE_QUANTITY};
use crate::domain::address::Address;
use crate::domain::catalog::{Product, Variant};
use crate::domain::ports::{StoreError, StoreResult};
use crate::domain::Timestamp;

fn empty_cart(email: &str, at: Timestamp) -> Cart {
    Cart {
        email: email.to_owned(),
        items: Vec::new(),
        delivery_address: None,
        created_at: at,
        updated_at: at,
    }
}

/// The variant of `product` a line names, if it is still sold.
pub(crate) fn sold_variant<'p>(product: &'p Product, variant_id: &str) -> StoreResult<&'p Variant> {
    product
        .variant(variant_id)
        .filter(|v| v.is_active())
        .ok_or_else(|| StoreError::VariantNotSold {
            product_id: product.id.clone(),
            variant_id: variant_id.to_owned(),
        })
}

pub(crate) fn check_stock(product: &Product, variant: &Variant, quantity: i64) -> StoreResult<()> {
    if quantity > variant.stock {
        return Err(StoreError::InsufficientStock {
            product_id: product.id.clone(),
            variant_id: variant.id.clone(),
            available: variant.stock,
            requested: quantity,
        });
    }
    Ok(())
}

/// The cart after adding `quantity` of a product's variant (or raising its
/// line).
pub fn add_line(
    cart: Option<Cart>,
    email: &str,
    (product_id, variant_id): (&str, &str),
    product: Option<&Product>,
    quantity: i64,
    at: Timestamp,
) -> StoreResult<Cart> {
    let product = product.ok_or_else(|| StoreError::ProductNotFound {
        product_id: product_id.to_owned(),
    })?;
    let variant = sold_variant(product, variant_id)?;
    let mut cart = cart.unwrap_or_else(|| empty_cart(email, at));
    match cart.items.iter_mut().find(|l| l.variant_id == variant.id) {
        Some(line) => {
            let wanted = line.quantity.saturating_add(quantity);
            check_stock(product, variant, wanted)?;
            line.quantity = wanted;
        }
        None => {
            check_stock(product, variant, quantity)?;
            if cart.items.len() >= MAX_LINES {
                return Err(StoreError::CartFull { max: MAX_LINES });
            }
            cart.items.push(CartLine {
                product_id: product.id.clone(),
                variant_id: variant.id.clone(),
                quantity,
                added_at: at,
            });
        }
    }
    cart.updated_at = at;
    Ok(cart)
}

/// The cart after setting the line for variant `variant_id` to `quantity`
/// (0 removes). `product` is the line's product as it is now: a deleted
/// product's line, or an archived variant's, can still be removed.
pub fn set_line(
    cart: Option<Cart>,
    variant_id: &str,
    product: Option<&Product>,
    quantity: i64,
    at: Timestamp,
) -> StoreResult<Cart> {
    let not_in_cart = || StoreError::CartLineNotFound {
        product_id: variant_id.to_owned(),
    };
    let mut cart = cart.ok_or_else(not_in_cart)?;
    let index = cart
        .items
        .iter()
        .position(|l| l.variant_id == variant_id)
        .ok_or_else(not_in_cart)?;
    if quantity == 0 {
        cart.items.remove(index);
    } else {
        let product = product.ok_or_else(|| StoreError::ProductNotFound {
            product_id: cart.items[index].product_id.clone(),
        })?;
        let variant = sold_variant(product, variant_id)?;
        check_stock(product, variant, quantity)?;
        cart.items[index].quantity = quantity;
    }
    cart.updated_at = at;
    Ok(cart)
}

/// The cart (a new one when there is none) with its delivery address set.
pub fn set_address(cart: Option<Cart>, email: &str, address: &Address, at: Timestamp) -> Cart {
    let mut cart = cart.unwrap_or_else(|| empty_cart(email, at));
    cart.delivery_address = Some(address.clone());
    cart.updated_at = at;
    cart
}

/// The customer's cart (`into`, a new one under `key` when there is none)
/// with a guest's lines added: a product in both gets the two quantities
/// added, capped by the stock in `products` and [`MAX_LINE_QUANTITY`]. No line
/// is dropped: one the stock cannot cover (sold out, deleted) keeps at least
/// a unit and shows as unavailable, and the cart may pass [`MAX_LINES`] (it
/// only stops taking new lines). The guest's address fills a missing one.
pub fn merge(
    into: Option<Cart>,
    key: &str,
    guest: Cart,
    products: &[Product],
    at: Timestamp,
) -> Cart {
    let mut cart = into.unwrap_or_else(|| empty_cart(key, at));
    for line in guest.items {
        let stock = products
            .iter()
            .find(|p| p.id == line.product_id)
            .and_then(|p| p.variant(&line.variant_id))
            .map(|v| if v.is_active() { v.stock } else { 0 });
        let existing = cart
            .items
            .iter()
            .position(|l| l.variant_id == line.variant_id);
        let had = existing.map_or(0, |i| cart.items[i].quantity);
        let wanted = had.saturating_add(line.quantity).min(MAX_LINE_QUANTITY);
        let merged = match stock {
            Some(stock) => wanted.min(stock).max(had).max(1),
            None => wanted,
        };
        match existing {
            Some(i) => cart.items[i].quantity = merged,
            None => cart.items.push(CartLine {
                quantity: merged,
                ..line
            }),
        }
    }
    if cart.delivery_address.is_none() {
        cart.delivery_address = guest.delivery_address;
    }
    cart.updated_at = at;
    cart
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::now;

    fn product(id: &str, stock: i64) -> Product {
        crate::domain::catalog::test_product(id, 100, stock)
    }

    fn cart(key: &str, lines: &[(&str, i64)]) -> Cart {
        let mut cart = empty_cart(key, now());
        for &(id, quantity) in lines {
            cart.items.push(CartLine {
                product_id: id.into(),
                variant_id: id.into(),
                quantity,
                added_at: now(),
            });
        }
        cart
    }

    fn quantities(cart: &Cart) -> Vec<(&str, i64)> {
        cart.items
            .iter()
            .map(|l| (l.product_id.as_str(), l.quantity))
            .collect()
    }

    #[test]
    fn merging_adds_quantities_within_stock_and_keeps_every_line() {
        let products = [product("a", 5), product("b", 10), product("c", 0)];
        let mine = cart("ana@example.com", &[("a", 2), ("b", 1)]);
        let guest = cart("guest:1", &[("a", 4), ("c", 2), ("gone", 3), ("b", 3)]);
        let merged = merge(Some(mine), "ana@example.com", guest, &products, now());
        assert_eq!(merged.email, "ana@example.com");
        assert_eq!(
            quantities(&merged),
            [("a", 5), ("b", 4), ("c", 1), ("gone", 3)],
            "a capped at its stock, c sold out kept at one, a deleted product kept"
        );
    }

    #[test]
    fn merging_into_no_cart_takes_the_guest_lines_and_address() {
        let products = [product("a", 5)];
        let mut guest = cart("guest:1", &[("a", 7)]);
        guest.delivery_address = Some(Address::from_legacy("1 Main St", "ES"));
        let merged = merge(None, "ana@example.com", guest, &products, now());
        assert_eq!(quantities(&merged), [("a", 5)]);
        assert_eq!(
            merged.delivery_address.map(|a| a.line1).as_deref(),
            Some("1 Main St")
        );
    }

    #[test]
    fn a_line_already_over_the_stock_is_not_cut_by_a_merge() {
        let products = [product("a", 1)];
        let mine = cart("ana@example.com", &[("a", 3)]);
        let guest = cart("guest:1", &[("a", 1)]);
        let merged = merge(Some(mine), "ana@example.com", guest, &products, now());
        assert_eq!(quantities(&merged), [("a", 3)]);
    }
}
