## Emails to customers

mail-hello = Hola, { $name }:
mail-signature = — { $shop }
mail-welcome-subject = Te damos la bienvenida a { $shop }, { $name }
mail-welcome-ready = Tu cuenta de { $shop } para { $email } está lista.
mail-welcome-login = Entra
mail-welcome-login-at = Entra en { $url }/ para empezar a comprar.
mail-welcome-start = para empezar a comprar.
mail-welcome-ignore = Si no te has registrado, puedes ignorar este correo.
mail-order-subject = Tu pedido { $number } en { $shop }
mail-order-thanks = Gracias por tu pedido { $number }, realizado el { $date }.
mail-order-product = Producto
mail-order-quantity = Cantidad
mail-order-unit-price = Precio unitario
mail-order-line-total = Importe
mail-order-total = Total: { $total }
mail-order-total-label = Total
mail-order-deliver-to = Dirección de entrega:
mail-order-follow = Sigue tu pedido
mail-order-follow-at = Sigue tu pedido en { $url }/orders/{ $number }
mail-order-see-any-time = Consulta tu pedido cuando quieras: { $url }
mail-reset-subject = Restablece tu contraseña de { $shop }
mail-reset-asked = Alguien ha pedido restablecer la contraseña de tu cuenta de { $shop }. Para elegir una nueva, abre este enlace antes de una hora:
mail-reset-once = El enlace solo funciona una vez. Si no lo has pedido tú, ignora este correo: tu contraseña no cambia.
mail-notice-order-subject = Nuevo pedido { $number } de { $email }: { $total }
mail-notice-order = El pedido { $number } se hizo en { $shop } el { $date }, por { $name } <{ $email }>.
mail-notice-registration-subject = Nuevo registro: { $name } <{ $email }>
mail-notice-registration = Se ha registrado un cliente nuevo en { $shop }:
mail-notice-name = Nombre
mail-notice-email = Correo
mail-notice-phone = Teléfono

## Order mails: totals, how to pay, and what happened since
mail-order-subtotal = Subtotal: { $amount }
mail-order-shipping = Envío ({ $method }): { $amount }
mail-order-tax-included = IVA incluido ({ $rate }): { $amount }
mail-order-tax-added = Impuestos ({ $rate }): { $amount }
mail-order-subtotal-label = Subtotal
mail-order-shipping-label = Envío ({ $method })
mail-order-tax-included-label = IVA incluido ({ $rate })
mail-order-tax-added-label = Impuestos ({ $rate })
mail-order-pay-transfer = Transfiere { $total } a esta cuenta; enviamos tu pedido cuando llegue:
mail-order-bank-holder = Titular: { $value }
mail-order-bank-iban = IBAN: { $value }
mail-order-bank-bic = BIC: { $value }
mail-order-bank-reference = Referencia (indícala, por favor): { $value }
mail-order-pay-on-delivery = Pagas { $total } en efectivo cuando llegue el paquete.
mail-order-pay-card = Si aún no lo has hecho, paga con tarjeta en la página de tu pedido; te escribimos cuando llegue el pago.
mail-update-subject-payment_received = { $shop }: pago recibido del pedido { $number }
mail-update-subject-shipped = { $shop }: el pedido { $number } va en camino
mail-update-subject-refunded = { $shop }: reembolso del pedido { $number }
mail-update-subject-cancelled = { $shop }: el pedido { $number } está cancelado
mail-update-payment_received = Hemos recibido el pago de tu pedido { $number }. Ya lo estamos preparando.
mail-update-shipped = Tu pedido { $number } ha salido de nuestro almacén.
mail-update-refunded = Hemos reembolsado dinero de tu pedido { $number }.
mail-update-cancelled = Tu pedido { $number } está cancelado. Si ya pagaste, te devolvemos el dinero.
mail-update-tracking = Transportista: { $carrier }, número de seguimiento: { $number }
mail-update-refunded-amount = Reembolsado hasta ahora: { $amount } de { $total }.

## Aviso de existencias bajas a la tienda
mail-low-stock-subject = { $shop }: { $count ->
    [one] un producto se está agotando
   *[other] { $count } productos se están agotando
}
mail-low-stock-intro = Un pedido en { $shop } dejó { $count ->
    [one] este producto
   *[other] estos productos
} en su nivel de existencias bajas:
mail-low-stock-left = quedan { $stock } (aviso a partir de { $threshold })
mail-low-stock-edit = Reponer:
mail-low-stock-sku = SKU
mail-low-stock-stock = Existencias
mail-low-stock-threshold = Aviso a partir de
mail-low-stock-once = Este aviso llega una sola vez hasta que las existencias vuelvan a superar su nivel.
